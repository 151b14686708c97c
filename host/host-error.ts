/**
 * The host's errors as a UI hears them: `HostError` for the refusals the host itself decides
 * (a stale version, a closed document, a path outside the root…), and `toProtocolError`, which
 * turns any error — the host's, the engine's, Node's — into a stable code and a sentence.
 */
import type { ProtocolError } from "../protocol/index.js";

/** An error with a protocol code, for refusals the host itself decides. */
export class HostError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Turns any error into what a UI is told: a stable code and a sentence. */
export function toProtocolError(error: unknown): ProtocolError {
  const candidate = error as { code?: unknown; name?: unknown; message?: unknown } | null;
  const message = typeof candidate?.message === "string" ? candidate.message : String(error);
  // Node's own AbortError carries code ABORT_ERR: every cancellation is EABORTED to a UI.
  if (candidate?.name === "AbortError") return { code: "EABORTED", message };
  if (typeof candidate?.code === "string") return { code: candidate.code, message };
  if (error instanceof RangeError) return { code: "ERANGE", message };
  if (error instanceof SyntaxError) return { code: "EBADPATTERN", message };
  if (candidate?.name === "TimeoutError") {
    return {
      code: "ETIMEDOUT",
      message: "the search took too long (a pattern that backtracks?) and was stopped",
    };
  }
  return { code: "EINTERNAL", message };
}
