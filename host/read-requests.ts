/**
 * The hosted document read for UIs: windows of lines (document-window.ts cuts them), line
 * numbers and offsets, text to copy — and the line index they lean on. Line numbers near the
 * start are worked out on the spot while the index is still being built (CHEAP_LINE_BYTES);
 * further ones wait for it. Reads answer at once, between queued changes.
 */
import type { Document } from "../piece-table/index.js";
import {
  type DocumentWindow,
  decodeEscaped,
  type HostEvent,
  type LineEndings,
  QUICK_WINDOW_LINES,
} from "../protocol/index.js";
import { cutWindow, type WindowRequest } from "./document-window.js";
import { HostError, toProtocolError } from "./host-error.js";

/** Line numbers are worked out on the spot, before the index is built, up to this offset. */
export const CHEAP_LINE_BYTES = 16 * 1024 * 1024;
/** Most text one readText may return (a copy of a larger selection is refused). */
export const MAX_READ_TEXT_BYTES = 64 * 1024 * 1024;

/** What the reads need of their host. */
export interface ReadHost {
  readonly doc: Document;
  /** The line ending Enter inserts (the file's own, once the index has counted them). */
  readonly newline: "\n" | "\r\n";
  /** The content version now (a window says which version it shows). */
  version(): number;
  /** The document is closing: index events are no longer sent. */
  closed(): boolean;
  broadcast(event: HostEvent): void;
  /**
   * Text of bytes in the document's encoding (escaped where they do not decode); null while it is
   * UTF-8, which the window cutting decodes faster on its own.
   */
  decoder(): ((bytes: Buffer) => string) | null;
  /**
   * The encoding's WHATWG name: in a multi-byte set (Shift_JIS, GBK, …) long lines are cut into
   * segments between characters. Absent: segments are cut by UTF-8 rules.
   */
  encoding?(): string;
}

export class ReadRequests {
  private indexed = false;

  constructor(private readonly host: ReadHost) {}

  /** The line index is complete (line counts and far line numbers answer at once). */
  get isIndexed(): boolean {
    return this.indexed;
  }

  /**
   * Waits for the line index (again: a save or an append starts it over) and tells every UI
   * when it is complete, or why it failed.
   */
  watchIndex(): void {
    this.indexed = false;
    const { doc } = this.host;
    doc.whenIndexed().then(
      () => {
        if (this.host.closed()) return;
        this.indexed = true;
        this.host.broadcast({ event: "indexed", lineCount: doc.lineCount(), eol: this.eol() });
      },
      (error: Error) => {
        if (this.host.closed()) return;
        this.host.broadcast({ event: "error", ...toProtocolError(error) });
      },
    );
  }

  /** The line count, or null while the index is being built. */
  lineCount(): number | null {
    return this.indexed ? this.host.doc.lineCount() : null;
  }

  /** The file's line endings; before the index has counted them, those of the newline typed. */
  eol(): LineEndings {
    return this.host.doc.originalLineEndings ?? (this.host.newline === "\r\n" ? "crlf" : "lf");
  }

  /** A window of whole lines around an anchor (waiting for the index if the line is far). */
  async window(request: WindowRequest): Promise<DocumentWindow> {
    if ("line" in request.anchor) await this.whenLineCheap(request.anchor.line);
    return this.cut(request);
  }

  /**
   * The window the editor opens on (the document's start, as the page's quick first request cuts
   * it): `gigapad serve` draws its first lines into the page.
   */
  firstWindow(): DocumentWindow {
    return this.cut({ anchor: { byte: 0 }, linesBefore: QUICK_WINDOW_LINES, linesAfter: QUICK_WINDOW_LINES });
  }

  async lineStart(line: number): Promise<{ offset: number }> {
    await this.whenLineCheap(line);
    return { offset: this.host.doc.lineStart(line) };
  }

  async lineAt(offset: number): Promise<{ line: number }> {
    const { doc } = this.host;
    if (offset > doc.length) {
      throw new RangeError(`Invalid offset ${offset} in document of length ${doc.length}`);
    }
    if (!this.indexed && offset > CHEAP_LINE_BYTES) await doc.whenIndexed();
    return { line: doc.lineAt(offset) };
  }

  /** The bytes [start, end), escaped for the protocol; ETOOLARGE past MAX_READ_TEXT_BYTES. */
  readText(start: number, end: number): { text: string } {
    if (end - start > MAX_READ_TEXT_BYTES) {
      throw new HostError(
        "ETOOLARGE",
        `${end - start} bytes are too many to copy at once (at most ` +
          `${MAX_READ_TEXT_BYTES}); save a copy with Save As, or use gigapad run`,
      );
    }
    const bytes = this.host.doc.read(start, end);
    return { text: (this.host.decoder() ?? decodeEscaped)(bytes) };
  }

  private cut(request: WindowRequest): DocumentWindow {
    const lineKnown = (offset: number) => this.indexed || offset <= CHEAP_LINE_BYTES;
    const encoding = this.host.encoding?.() ?? null;
    return cutWindow(this.host.doc, request, this.host.version(), lineKnown, this.host.decoder(), encoding);
  }

  /** Waits for the line index if line `line` may lie beyond what is cheap to count now. */
  private async whenLineCheap(line: number): Promise<void> {
    if (this.indexed) return;
    const { doc } = this.host;
    const cheapEnd = Math.min(doc.length, CHEAP_LINE_BYTES);
    if (line <= doc.lineAt(cheapEnd) - 1) return;
    await doc.whenIndexed();
  }
}
