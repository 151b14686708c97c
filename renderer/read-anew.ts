/**
 * The document read anew, as the user goes through it: Reopen and Save with Encoding (the status
 * bar's encoding menu; Save with Encoding can be cancelled while it converts), a file another
 * program replaced or truncated opened again ("Open the new file", asking first about unsaved
 * edits), the view shown again after any of them (`reopened`), and the banner saying the file
 * changed on disk.
 */
import type { DocumentInfo } from "../protocol/index.js";
import type { Connection } from "./connection.js";
import type { FilterView } from "./filter-view.js";
import type { FindPanel } from "./find-panel.js";
import type { Say } from "./save-flow.js";
import { useByteCounting } from "./text-bytes.js";
import type { WindowEditor } from "./window-editor.js";

export interface ReadAnewPage {
  readonly connection: Connection;
  editor(): WindowEditor | null;
  find(): FindPanel | null;
  filterView(): FilterView | null;
  say: Say;
  /** Save As (keeping edits made to a file that was replaced). */
  saveAs(): void;
  /** What the status bar shows may have changed. */
  changed(): void;
}

export class ReadAnew {
  /** The banner saying the file changed on disk, while shown. */
  private fileBanner: HTMLElement | null = null;

  constructor(private readonly page: ReadAnewPage) {}

  /** The document's file was written: a banner about its changing on disk is out of date. */
  fileWritten(): void {
    this.fileBanner?.remove();
    this.fileBanner = null;
  }

  /** Reads the document in another encoding (the status bar's encoding menu). */
  async reopenWithEncoding(encoding: string): Promise<void> {
    try {
      this.reopened(await this.page.connection.request("reopenWithEncoding", { encoding }));
    } catch (error) {
      this.page.say(error instanceof Error ? error.message : String(error), "error");
    }
  }

  /** Converts the text to another encoding and saves it, asking first if some characters would be lost. */
  async saveWithEncoding(encoding: string, { force }: { force: boolean }): Promise<void> {
    // A big file takes a while: it can be stopped until it is written (nothing changes then).
    const converting = this.page.say(`Converting to ${encoding.toUpperCase()} and saving…`, "info", [
      { label: "Cancel", run: () => void this.page.connection.request("cancelSave", {}).catch(() => {}) },
    ]);
    try {
      await this.page.editor()?.whenInputSettled();
      const { info } = await this.page.connection.request("saveWithEncoding", { encoding, force });
      this.reopened(info);
      this.page.say(`Saved ${info.name} in ${encoding.toUpperCase()}`, "info");
    } catch (error) {
      const code = (error as { code?: string }).code;
      const text = error instanceof Error ? error.message : String(error);
      if (code === "EABORTED") this.page.say(text, "info");
      else if (code === "EUNWRITABLE") {
        this.page.say(`${text}.`, "error", [
          { label: "Save anyway", run: () => void this.saveWithEncoding(encoding, { force: true }) },
        ]);
      } else this.page.say(text, "error");
    } finally {
      converting.remove();
    }
  }

  /** The same bytes, read in another encoding: count as it says, show the text anew where we were. */
  reopened(info: DocumentInfo): void {
    const editor = this.page.editor();
    // The reply and the event both bring it: the second is the same version.
    if (!editor || info.version <= editor.info.version) return;
    useByteCounting(info.counting);
    this.fileBanner?.remove();
    this.fileBanner = null;
    if (info.diskState !== "unchanged")
      this.fileChangedBanner(info.diskState === "deleted" ? "deleted" : "modified", "");
    // Following, the new file's end is what to see.
    editor.reread(info, { atEnd: editor.follow === "on" });
    this.page.find()?.documentChanged();
    // The host's filter views went with the old reading: filter the new one.
    if (this.page.filterView()?.active) void this.page.filterView()!.rerun();
    this.page.changed();
  }

  fileChangedBanner(reason: string, message: string): void {
    this.fileBanner?.remove();
    this.fileBanner = null;
    if (reason === "restored") return;
    const text =
      message ||
      (reason === "deleted"
        ? "The file was deleted or moved on disk. Your edits are safe; Save writes the file again."
        : "Another program changed the file on disk. Save will ask before overwriting.");
    // A file put in its place (a log rotated) or cut short can be read anew.
    const actions =
      reason === "replaced" || reason === "truncated"
        ? [{ label: "Open the new file", run: () => void this.reopenFile({ discardEdits: false }) }]
        : [];
    this.fileBanner = this.page.say(text, "error", actions);
  }

  /** Reads the file at the document's path anew; with unsaved edits, asks what to do with them first. */
  async reopenFile({
    discardEdits,
    baseVersion,
  }: {
    discardEdits: boolean;
    baseVersion?: number;
  }): Promise<void> {
    try {
      await this.page.editor()?.whenInputSettled();
      const request = baseVersion === undefined ? { discardEdits } : { discardEdits, baseVersion };
      this.reopened(await this.page.connection.request("reopenFile", request));
      this.page.say(`Opened the new ${this.page.editor()?.info.name ?? "file"}`, "info");
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if ((error as { code?: string }).code === "EMODIFIED") {
        // Discarding takes only the edits seen now: any typed after make the host refuse (ESTALE).
        const seen = this.page.editor()?.info.version;
        this.page.say(`${text}.`, "error", [
          { label: "Save As…", run: () => this.page.saveAs() },
          {
            label: "Discard them and open it",
            run: () =>
              void this.reopenFile({
                discardEdits: true,
                ...(seen === undefined ? {} : { baseVersion: seen }),
              }),
          },
        ]);
      } else this.page.say(text, "error");
    }
  }
}
