/**
 * The engine's internal entry: what the CLI and the engine host (`cli/`, `host/`) use of the
 * engine beyond the scripting API — for the CLI and host, not a public API (package.json's
 * "exports" do not name it; it may change in any release).
 *
 * - `diskStateOf`: how the file on disk relates to a document's original (the host's disk watch
 *   compares identities the same way save does).
 * - `CrashPoint`, `CrashAt` (types only): the named crash points, for `gigapad crashtest`'s campaign.
- `fileInfo`: `gigapad info`'s facts. It is public too (piece-table/index.ts), but `info`
 *   imports it from here: this entry loads only file-info.ts and disk-state.ts, not the whole
 *   engine, and start-up time is most of `info`'s time.
 * - `FollowRefusal` (type only): why a followed file's appended bytes were not taken in, for the
 *   host's words about it.
 * - `ruleOf`, `unitBytes`, `LineFeedRule`: how a document's bytes make lines (UTF-16 in code
 *   units), for the host's window cutting and line ends.
 */
export { type DiskState, diskStateOf } from "./disk-state.js";
export type { CrashAt, CrashPoint } from "./durable-files.js";
export { type FileInfo, fileInfo } from "./file-info.js";
export type { FollowRefusal } from "./follow-tail.js";
export { type LineFeedRule, ruleOf, unitBytes } from "./line-feed-rule.js";
