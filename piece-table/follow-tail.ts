/**
 * Where the bytes another program appended to a followed file go in a version of the document,
 * and when they cannot (Document.adoptAppended, Versions.grownVersions).
 *
 * **The rule.** A version is the user's edits over the file: pieces of it, kept, deleted or with
 * typed text between. The other program wrote its bytes after the file's old last byte, so they
 * go where that byte's end is in the version — and every edit the user made at or before it stays
 * before them, as it would applied to the grown file:
 *
 * - the file's end kept: the tail follows it (after any text typed there);
 * - the end deleted (a last line removed, everything selected and deleted): the deletion ended at
 *   the old last byte, so the tail follows what is left, after any text typed in its place;
 * - either way the tail goes at the **version's end**: original pieces only ever appear in the
 *   file's order (edits insert typed text and delete, replaceAll keeps ranges in order), so
 *   nothing after the version's last original piece can come from before the old end but typed
 *   text, which the user put at or before that end.
 *
 * So every version that reads the grown file's old bytes (the newest original) takes the tail.
 * Refused are only:
 * - `before-save`: a version from before the last save (undo went past it) reads the replaced
 *   file, not the one that grew;
 * - `cut-unit`: in UTF-16 the tail would start inside a code unit — the version ends with an odd
 *   number of bytes (a lone byte typed at the end), or the file's old size is odd and the version
 *   does not end with that lone byte (which the appended byte completes, one piece with it).
 */
import type { LineFeedRule } from "../native/index.js";
import { forEachPiece, ORIGINAL, type PieceNode } from "./piece-tree.js";

/** Why a version cannot take a followed file's appended bytes. */
export type FollowRefusal = "before-save" | "cut-unit";

/**
 * Null when the bytes appended after the first `oldSize` bytes of the file can go at the end of
 * `root` (a version reading that file), else why not (only `cut-unit`: see above).
 */
export function tailRefusal(root: PieceNode, oldSize: number, rule: LineFeedRule): FollowRefusal | null {
  if (rule === "byte" || (root.length % 2 === 0 && oldSize % 2 === 0)) return null;
  // An odd end: only the file's own lone last byte, which the tail continues as one piece.
  let continuesFile = false;
  if (root.length > 0) {
    forEachPiece(root, root.length - 1, root.length, (buffer, _start, end) => {
      continuesFile = buffer === ORIGINAL && end === oldSize;
      return false;
    });
  }
  return continuesFile ? null : "cut-unit";
}
