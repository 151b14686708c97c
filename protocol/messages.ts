/**
 * The messages between the editor UI and the engine host. Plain data (JSON-serialisable), no
 * transport: Electron's MessagePort and `gigapad serve`'s WebSocket carry them unchanged.
 *
 * - The UI sends a `Request` with a numeric `id`; the host answers each with exactly one `Reply`
 *   carrying the same `id` (`ok: false` with an error for malformed or refused requests).
 * - The host sends `HostEvent`s on its own (index progress, commit state, find counts, ...).
 *
 * Offsets are bytes of the document; lines are 0-based. Text is UTF-16 as JavaScript has it, with
 * one rule so bytes survive the round trip: a byte that is not part of valid UTF-8 is carried as
 * the lone surrogate U+DC80..U+DCFF (U+DC00 + byte), as Python's "surrogateescape" does. Valid
 * UTF-8 never decodes to a lone surrogate, so the mapping is exact both ways. A document read in
 * another encoding (DocumentInfo.encoding) carries its text the same way: a byte that does not
 * decode is U+DC00 + byte, and the page counts bytes with DocumentInfo.counting
 * (byte-counter.ts). Offsets stay bytes.
 */
import type { ByteCounting } from "./byte-counter.js";

/** Bumped on any incompatible change; a host refuses a `hello` with another version. */
export const PROTOCOL_VERSION = 1;

/**
 * Lines on each side of the anchor in the first, quick window of a jump or of opening: more than
 * a screen, few enough to arrive at once. (The page's first screen is cut the same way.)
 */
export const QUICK_WINDOW_LINES = 120;

/**
 * Versions: the host numbers the document's content. Every edit, undo, redo, replaceAll and save
 * that changes what a UI must show adds one, and the host tells every connected UI ("changed").
 * An `edit` names the version it was made against (`baseVersion`); if the document has moved on,
 * the host refuses it (ESTALE) and the UI fetches a fresh window. A UI may pipeline edits:
 * after sending an edit against version v, its next edit is against v + 1.
 */

/** Where a window is centred: a 0-based line, a byte offset, or the end of the document. */
export type Anchor = { line: number } | { byte: number } | { end: true };

export interface FindQuery {
  pattern: string;
  regex?: boolean;
  caseSensitive?: boolean;
  wholeWord?: boolean;
}

/**
 * Bytes [start, end) of the version the edit request is based on become `text`. The edits of one
 * request must not overlap; they are applied together, as one undo step.
 */
export interface ByteEdit {
  start: number;
  end: number;
  /** Inserted text (surrogate-escaped, see above); line breaks already in the document's EOL. */
  text: string;
}

export type Request =
  | { id: number; type: "hello"; protocol: number }
  | { id: number; type: "window"; anchor: Anchor; linesBefore: number; linesAfter: number }
  | { id: number; type: "edit"; baseVersion: number; edits: ByteEdit[] }
  | { id: number; type: "undo" }
  | { id: number; type: "redo" }
  | { id: number; type: "lineStart"; line: number }
  | { id: number; type: "lineAt"; offset: number }
  | { id: number; type: "count"; searchId: number; query: FindQuery; start?: number; end?: number }
  | { id: number; type: "cancelCount"; searchId: number }
  | { id: number; type: "findNext"; query: FindQuery; from: number; direction: "forward" | "backward" }
  | { id: number; type: "findInRange"; query: FindQuery; start: number; end: number; limit: number }
  | { id: number; type: "readText"; start: number; end: number }
  | { id: number; type: "save"; force?: boolean }
  | { id: number; type: "saveAs"; path: string; force?: boolean }
  | { id: number; type: "cancelSave" }
  /**
   * Reads the same bytes in another encoding (a WHATWG name or label); nothing on disk changes.
   * Refused (EMODIFIED) while there are unsaved edits: their text was typed in the old encoding.
   */
  | { id: number; type: "reopenWithEncoding"; encoding: string }
  /**
   * Reads the file at the document's path anew: another program replaced it (a log rotated) or
   * truncated it. Refused (EMODIFIED) with unsaved edits unless `discardEdits`, which discards
   * them only if the document is still at `baseVersion`, the version the user saw (else ESTALE).
   * Every UI hears `reopened`.
   */
  | { id: number; type: "reopenFile"; discardEdits?: boolean; baseVersion?: number }
  /**
   * Converts the whole text to another encoding, saves it the normal atomic way and reads the file
   * in it from then on (the undo history starts there). Refused with EUNWRITABLE (nothing changed)
   * when some characters cannot be written in it, unless `force` (they become `?`); cancelSave
   * stops it (EABORTED, nothing changed).
   */
  | { id: number; type: "saveWithEncoding"; encoding: string; force?: boolean }
  | {
      id: number;
      type: "replaceAll";
      baseVersion: number;
      query: FindQuery;
      /** `$1`, `$<name>`, `$&` and the like with a regex query, as String.prototype.replace reads them. */
      replacement: string;
      /** Progress comes as replaceProgress events under this id; cancelCount with it cancels. */
      searchId?: number;
      /** Replace only matches within [start, end) (one match: Replace in the find panel). */
      start?: number;
      end?: number;
    }
  | { id: number; type: "commit" }
  /** The filter view: find the lines that match (progress as filterProgress; cancelCount cancels). */
  | { id: number; type: "filter"; filterId: number; query: FindQuery }
  /** Matching lines [from, from + count) of a filter, with their text (also while it runs). */
  | { id: number; type: "filterLines"; filterId: number; from: number; count: number }
  /** Where in a filter's list document line `line` is (the first matching line at or after it). */
  | { id: number; type: "filterIndex"; filterId: number; line: number }
  /** Writes a filter's lines to a new file (confined like saveAs; existing files need force). */
  | { id: number; type: "saveFiltered"; filterId: number; path: string; force?: boolean };

export type RequestType = Request["type"];

export type LineEndings = "lf" | "crlf" | "mixed" | "none";
/** How the file on disk relates to the version being edited. */
export type DiskState = "unchanged" | "modified" | "replaced" | "deleted" | "truncated";
export type Safety = "all edits safe" | "unsaved edits" | "committing" | "commit failed" | "read-only";

/** What the UI shows about the document, sent in reply to `hello` and kept fresh by events. */
export interface DocumentInfo {
  protocol: number;
  path: string;
  name: string;
  length: number;
  version: number;
  /** Total lines, or null while the line index is being built. */
  lineCount: number | null;
  indexProgress: { bytesDone: number; bytesTotal: number };
  eol: LineEndings;
  /** The line ending Enter inserts (the one most of the file uses). */
  newline: "lf" | "crlf";
  /**
   * How the text is read: a WHATWG name ("utf-8", "windows-1252", "shift_jis", …), or "ascii",
   * "utf-8-bom", "binary" as `gigapad info` names them.
   */
  encoding: string;
  /** 0..1: how sure the guess of `encoding` is (1 when chosen by the user, a BOM, or strict UTF-8). */
  encodingConfidence?: number;
  /** How the page counts the bytes of its text; absent means UTF-8. */
  counting?: ByteCounting;
  /** The encodings the document may be reopened or saved in, for the encoding menu. */
  encodings?: ReadonlyArray<{ encoding: string; label: string }>;
  readOnly: boolean;
  /** The content differs from the file on disk (there is something to save). */
  modified: boolean;
  /** Why the document is read-only (another process holds it, the session failed), or null. */
  readOnlyReason: string | null;
  /**
   * Whether Save may write the file: false for a file (or folder) this user may not write — the
   * editor's read-only badge; edits are still kept in the session and Save As can write a copy.
   */
  canSave?: boolean;
  safety: Safety;
  /** A one-line account of unsaved edits open() restored from a session, or null. */
  recovered: string | null;
  /** A one-line account of a session that could not be applied (kept aside), or null. */
  setAside: string | null;
  /** Whether another program changed the file since it was opened (as of the last check). */
  diskState: DiskState;
  /** Start in follow mode (`gigapad serve --follow`): keep the end of a growing file in view. */
  follow: boolean;
}

/**
 * A window of the document: the text of whole lines (or, for a line longer than the segment
 * limit, segments of it) covering bytes [start, end). `end` is where the last window line's
 * content ends (its terminator, if any, lies outside the window).
 */
export interface DocumentWindow {
  version: number;
  start: number;
  end: number;
  /** Absolute 0-based line of lines[0], or null when it is not known yet (index building). */
  firstLine: number | null;
  /** Line contents without terminators (surrogate-escaped). */
  lines: string[];
  /**
   * breaks[i] is the number of bytes between lines[i] and lines[i + 1]: 1 (LF), 2 (CRLF) or 0 (a
   * segment boundary inside one long line). Length lines.length - 1.
   */
  breaks: number[];
  /** Index in `lines` of the line or segment holding the anchor. */
  anchorIndex: number;
  /** Whether the window starts at byte 0 / ends at the document's end. */
  atStart: boolean;
  atEnd: boolean;
}

export interface EditResult {
  version: number;
  length: number;
  /** Characters of the edits that the document's encoding cannot write: they went in as `?`. */
  unwritable?: number;
}

export interface UndoResult {
  done: boolean;
  version: number;
  length: number;
  /** Where the undone (or redone) step happened, to bring it into view; null if unknown. */
  at: number | null;
}

export interface Match {
  start: number;
  end: number;
}

export interface FindNextResult {
  match: Match | null;
  /** True when the search went past the end (or start) and continued from the other side. */
  wrapped: boolean;
}

export interface ReplyResults {
  hello: DocumentInfo;
  window: DocumentWindow;
  edit: EditResult;
  undo: UndoResult;
  redo: UndoResult;
  lineStart: { offset: number };
  lineAt: { line: number };
  count: { count: number };
  cancelCount: Record<string, never>;
  cancelSave: Record<string, never>;
  reopenWithEncoding: DocumentInfo;
  reopenFile: DocumentInfo;
  saveWithEncoding: { length: number; info: DocumentInfo };
  replaceAll: { count: number; version: number; length: number };
  findNext: FindNextResult;
  findInRange: { matches: Match[]; truncated: boolean };
  readText: { text: string };
  save: { length: number };
  saveAs: { length: number; path: string };
  commit: Record<string, never>;
  filter: { lines: number; version: number };
  filterLines: { lines: FilteredLine[]; total: number; done: boolean };
  filterIndex: { index: number };
  saveFiltered: { lines: number; bytes: number; path: string };
}

/** A line of the filter view. */
export interface FilteredLine {
  /** 0-based line number in the document. */
  line: number;
  /** Its text (surrogate-escaped), at most a few KiB of it. */
  text: string;
  /** The line goes on past `text`. */
  cut: boolean;
}

export interface ProtocolError {
  /** A stable code: EBADREQUEST, ESTALE, ERANGE, EREADONLY, EFILECHANGED, ENOSPC, ETRUNCATED, ... */
  code: string;
  message: string;
}

export type Reply =
  | { id: number; ok: true; result: ReplyResults[RequestType] }
  | { id: number; ok: false; error: ProtocolError };

export type HostEvent =
  | { event: "indexProgress"; bytesDone: number; bytesTotal: number }
  | { event: "indexed"; lineCount: number; eol: LineEndings }
  | { event: "safety"; safety: Safety; message: string | null }
  | {
      event: "changed";
      version: number;
      length: number;
      lineCount: number | null;
      modified: boolean;
      /** Where the change begins (to refresh a window that shows it), or null if unknown. */
      at: number | null;
    }
  | { event: "saveProgress"; bytesDone: number; bytesTotal: number }
  | { event: "saved"; path: string; name: string; length: number; version: number }
  | { event: "countProgress"; searchId: number; count: number; scanned: number; done: boolean }
  | { event: "replaceProgress"; searchId: number; count: number; scanned: number; total: number }
  /**
   * Another program appended to the file and the document took the bytes in (after its text, also
   * under unsaved edits — then `modified`): a new version, `bytes` longer. A window showing the old
   * end can grow; follow mode jumps.
   */
  | {
      event: "appended";
      version: number;
      length: number;
      lineCount: number | null;
      bytes: number;
      modified?: boolean;
    }
  | {
      event: "filterProgress";
      filterId: number;
      lines: number;
      scanned: number;
      total: number;
      done: boolean;
    }
  /** `replaced` and `truncated` can be read anew (reopenFile): the UI offers it. */
  | {
      event: "fileChanged";
      reason: "modified" | "replaced" | "deleted" | "truncated" | "restored";
      message: string;
    }
  | { event: "error"; code: string; message: string }
  /** The document is read in another encoding now (a new version): reload what is shown. */
  | { event: "reopened"; info: DocumentInfo };

/** A message from the host: a reply to a request, or an event. */
export type HostMessage = Reply | HostEvent;
