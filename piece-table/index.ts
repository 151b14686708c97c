/**
 * Gigapad's scripting API: `import { open } from "gigapad"`. See README, "Scripting".
 */
export { Document, type DocumentEvents, type OpenOptions, open, type RecoveredSession } from "./document.js";
export { detectEncoding, type Encoding, type FileInfo, fileInfo, type LineEndings } from "./file-info.js";
export type { IndexProgress } from "./line-index.js";
export type { FindOptions, Match } from "./search.js";
export { defaultStateDirectory, SessionLockedError } from "./session-folder.js";
