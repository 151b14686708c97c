/**
 * Saving, as the user goes through it: Save (after what was typed has reached the engine), Save
 * As (the platform's dialog: the desktop's own, or in a browser the served folder's list), and
 * "Save lines as…" of the filter view — each asking before it replaces another file or a file
 * another program changed, and saying what happened (the answers: save-rules.ts).
 */
import { formatBytes } from "../presentation/format-bytes.js";
import type { Connection } from "./connection.js";
import { RequestError } from "./connection.js";
import type { FilterView } from "./filter-view.js";
import { formatCount } from "./format.js";
import { matchingLinesName, saveRefusal } from "./save-rules.js";
import type { Progress } from "./status-cells.js";
import type { WindowEditor } from "./window-editor.js";

/** Where and how a save writes. */
export interface SaveOptions {
  /** Another file (Save As, Save lines as…); the document's own file when absent. */
  path?: string;
  /** Replace what is there although it exists or changed on disk (the user said so). */
  force?: boolean;
}

/** A message with buttons, as the page shows it; returns its element (to dismiss it). */
export type Say = (
  text: string,
  kind: "info" | "error",
  actions?: { label: string; run(): void }[],
) => HTMLElement;

export interface SaveFlowPage {
  readonly connection: Connection;
  /** The editor, once the document is open. */
  editor(): WindowEditor | null;
  /** The filter view, once the document is open. */
  filterView(): FilterView | null;
  /** Asks where to save a copy; null if cancelled (the platform's dialog). */
  chooseSavePath(currentPath: string): Promise<string | null>;
  /** A one-line question; null if cancelled. */
  prompt(title: string, hint: string, value: string): Promise<string | null>;
  say: Say;
  /** The save's progress changed (the status bar shows it). */
  progressed(): void;
  /** The document's file was written: a banner about its changing on disk is out of date. */
  fileWritten(): void;
}

export class SaveFlow {
  private saving: Progress | null = null;

  constructor(private readonly page: SaveFlowPage) {}

  /** A save under way, with its progress; null when none is. */
  get progress(): Progress | null {
    return this.saving;
  }

  /** The engine reported progress of the save under way. */
  saveProgress(done: number, total: number): void {
    if (!this.saving) return;
    this.saving = { done, total };
    this.page.progressed();
  }

  /** Save (to the document's file) or, with a path, Save As. */
  async save(options: SaveOptions = {}): Promise<void> {
    const { page } = this;
    const editor = page.editor()!;
    const { path, force = false } = options;
    if (this.saving) return;
    if (editor.info.readOnly) {
      page.say(`Cannot save: ${editor.info.readOnlyReason ?? "read-only"}`, "error");
      return;
    }
    this.saving = { done: 0, total: editor.info.length };
    page.progressed();
    try {
      await editor.whenInputSettled();
      const result =
        path === undefined
          ? await page.connection.request("save", { force })
          : await page.connection.request("saveAs", { path, force });
      page.fileWritten();
      page.say(`Saved ${editor.info.name} (${formatBytes(result.length)})`, "info");
    } catch (error) {
      const code = error instanceof RequestError ? error.code : "";
      const text = error instanceof Error ? error.message : String(error);
      const refusal = saveRefusal(code, text, path);
      if ("ask" in refusal) {
        const banner = page.say(refusal.text, "error", [
          {
            label: refusal.ask === "replace" ? "Replace" : "Overwrite",
            run: () => void this.save({ force: true, ...(path === undefined ? {} : { path }) }),
          },
          { label: "Cancel", run: () => banner.remove() },
        ]);
      } else {
        page.say(refusal.tell, "error");
      }
    } finally {
      this.saving = null;
      page.progressed();
      editor.view.focus();
    }
  }

  /** Save As: where the platform's dialog says. */
  async saveAs(): Promise<void> {
    const path = await this.page.chooseSavePath(this.page.editor()!.info.path);
    if (path) await this.save({ path });
  }

  /** Writes the filter view's matching lines to a new file, asking before replacing one. */
  async saveMatchingLines(options: SaveOptions = {}): Promise<void> {
    const { page } = this;
    const filter = page.filterView();
    const editor = page.editor();
    if (!filter?.active || !editor) return;
    const path =
      options.path ??
      (await page.prompt(
        "Save matching lines as",
        "A new file, in the document's folder",
        matchingLinesName(editor.info.name),
      ));
    if (!path) return;
    try {
      const result = await filter.saveLines(path, { force: options.force === true });
      page.say(
        `Saved ${formatCount(result.lines)} line${result.lines === 1 ? "" : "s"} (${formatBytes(result.bytes)}) to ${result.path}`,
        "info",
      );
    } catch (error) {
      const code = error instanceof RequestError ? error.code : "";
      const text = error instanceof Error ? error.message : String(error);
      if (code === "EEXIST") {
        const banner = page.say(`${path} exists. Replace it?`, "error", [
          { label: "Replace", run: () => void this.saveMatchingLines({ force: true, path }) },
          { label: "Cancel", run: () => banner.remove() },
        ]);
      } else {
        page.say(`Not saved: ${text}`, "error");
      }
    }
  }
}
