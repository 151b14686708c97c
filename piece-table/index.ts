/**
 * Gigapad's scripting API: `import { open } from "gigapad"`. See README, "Scripting".
 */
export { Document, type DocumentEvents, type EditRange, type RecoveredSession } from "./document.js";
export { type EncodingGuess, guessEncoding } from "./encoding-detect.js";
export { detectEncoding, type Encoding, type FileInfo, fileInfo, type LineEndings } from "./file-info.js";
export type { IndexProgress } from "./line-index.js";
export { type OpenOptions, open, type SetAsideSession } from "./open-document.js";
export {
  discardSessions,
  exportSession,
  listSessions,
  type RecoverOptions,
  restoreSession,
  type SessionInfo,
} from "./recovery.js";
export type { ByteTransform, RewriteOptions } from "./rewrite.js";
export { SaveError, type SaveOptions, type SaveProgress } from "./save.js";
export type { FindOptions, Match, ScanProgress, SearchPattern } from "./search.js";
export { defaultStateDirectory, SessionLockedError } from "./session-folder.js";
