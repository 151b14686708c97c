/**
 * Checks that a message from the UI is a well-formed `Request`. The host runs every message
 * through here first, so a malformed one gets an error reply instead of reaching the engine.
 * Range checks against the document (offsets past its end, ...) are the host's: they need it.
 */
import type { Anchor, ByteEdit, FindQuery, Request } from "./messages.js";

/** Most lines a window request may ask for on each side of its anchor. */
export const MAX_WINDOW_LINES = 20_000;
/** Most byte ranges one edit request may carry. */
export const MAX_EDITS_PER_REQUEST = 10_000;
/** Longest text one edit may insert, in UTF-16 units (a paste of tens of MB is fine). */
export const MAX_EDIT_TEXT = 256 * 1024 * 1024;
/** Longest search pattern. */
export const MAX_PATTERN = 64 * 1024;
/** Most matches one findInRange may return. */
export const MAX_RANGE_MATCHES = 100_000;
/** Most lines one filterLines may ask for. */
export const MAX_FILTER_LINES = 5000;

export type ParsedRequest =
  | { ok: true; request: Request }
  | { ok: false; id: number | null; error: { code: "EBADREQUEST"; message: string } };

class Malformed extends Error {}

function fail(message: string): never {
  throw new Malformed(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function offset(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function count(value: unknown, name: string, max: number): number {
  const n = offset(value, name);
  if (n > max) fail(`${name} must be at most ${max}, got ${n}`);
  return n;
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== "string") fail(`${name} must be a string`);
  if (value.length > max) fail(`${name} is too long (${value.length} > ${max})`);
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") fail(`${name} must be a boolean`);
  return value;
}

function anchor(value: unknown): Anchor {
  if (!isRecord(value)) fail("anchor must be an object");
  if ("line" in value) return { line: offset(value.line, "anchor.line") };
  if ("byte" in value) return { byte: offset(value.byte, "anchor.byte") };
  if (value.end === true) return { end: true };
  fail("anchor must be { line }, { byte } or { end: true }");
}

function query(value: unknown): FindQuery {
  if (!isRecord(value)) fail("query must be an object");
  const pattern = text(value.pattern, "query.pattern", MAX_PATTERN);
  if (pattern.length === 0) fail("query.pattern must not be empty");
  const parsed: FindQuery = { pattern };
  const regex = optionalBoolean(value.regex, "query.regex");
  const caseSensitive = optionalBoolean(value.caseSensitive, "query.caseSensitive");
  const wholeWord = optionalBoolean(value.wholeWord, "query.wholeWord");
  if (regex !== undefined) parsed.regex = regex;
  if (caseSensitive !== undefined) parsed.caseSensitive = caseSensitive;
  if (wholeWord !== undefined) parsed.wholeWord = wholeWord;
  return parsed;
}

function edits(value: unknown): ByteEdit[] {
  if (!Array.isArray(value) || value.length === 0) fail("edits must be a non-empty array");
  if (value.length > MAX_EDITS_PER_REQUEST) fail(`at most ${MAX_EDITS_PER_REQUEST} edits per request`);
  return value.map((edit, i) => {
    if (!isRecord(edit)) fail(`edits[${i}] must be an object`);
    const start = offset(edit.start, `edits[${i}].start`);
    const end = offset(edit.end, `edits[${i}].end`);
    if (end < start) fail(`edits[${i}]: end ${end} is before start ${start}`);
    return { start, end, text: text(edit.text, `edits[${i}].text`, MAX_EDIT_TEXT) };
  });
}

function parse(message: Record<string, unknown>, id: number): Request {
  switch (message.type) {
    case "hello":
      return { id, type: "hello", protocol: offset(message.protocol, "protocol") };
    case "window":
      return {
        id,
        type: "window",
        anchor: anchor(message.anchor),
        linesBefore: count(message.linesBefore, "linesBefore", MAX_WINDOW_LINES),
        linesAfter: count(message.linesAfter, "linesAfter", MAX_WINDOW_LINES),
      };
    case "edit":
      return {
        id,
        type: "edit",
        baseVersion: offset(message.baseVersion, "baseVersion"),
        edits: edits(message.edits),
      };
    case "undo":
    case "redo":
    case "commit":
      return { id, type: message.type };
    case "lineStart":
      return { id, type: "lineStart", line: offset(message.line, "line") };
    case "lineAt":
      return { id, type: "lineAt", offset: offset(message.offset, "offset") };
    case "count": {
      const parsed: Request = {
        id,
        type: "count",
        searchId: offset(message.searchId, "searchId"),
        query: query(message.query),
      };
      if (message.start !== undefined) parsed.start = offset(message.start, "start");
      if (message.end !== undefined) parsed.end = offset(message.end, "end");
      if (parsed.start !== undefined && parsed.end !== undefined && parsed.end < parsed.start) {
        fail(`end ${parsed.end} is before start ${parsed.start}`);
      }
      return parsed;
    }
    case "cancelSave":
      return { id, type: "cancelSave" };
    case "replaceAll": {
      const parsed: Extract<Request, { type: "replaceAll" }> = {
        id,
        type: "replaceAll",
        baseVersion: offset(message.baseVersion, "baseVersion"),
        query: query(message.query),
        replacement: text(message.replacement, "replacement", MAX_PATTERN),
      };
      if (message.searchId !== undefined) parsed.searchId = offset(message.searchId, "searchId");
      if (message.start !== undefined) parsed.start = offset(message.start, "start");
      if (message.end !== undefined) parsed.end = offset(message.end, "end");
      if (parsed.start !== undefined && parsed.end !== undefined && parsed.end < parsed.start)
        fail("end must not be before start");
      return parsed;
    }
    case "cancelCount":
      return { id, type: "cancelCount", searchId: offset(message.searchId, "searchId") };
    case "findNext": {
      const direction = message.direction;
      if (direction !== "forward" && direction !== "backward") {
        fail(`direction must be "forward" or "backward"`);
      }
      return {
        id,
        type: "findNext",
        query: query(message.query),
        from: offset(message.from, "from"),
        direction,
      };
    }
    case "findInRange": {
      const start = offset(message.start, "start");
      const end = offset(message.end, "end");
      if (end < start) fail(`end ${end} is before start ${start}`);
      const limit = count(message.limit, "limit", MAX_RANGE_MATCHES);
      return { id, type: "findInRange", query: query(message.query), start, end, limit };
    }
    case "readText": {
      const start = offset(message.start, "start");
      const end = offset(message.end, "end");
      if (end < start) fail(`end ${end} is before start ${start}`);
      return { id, type: "readText", start, end };
    }
    case "save": {
      const force = optionalBoolean(message.force, "force");
      return force === undefined ? { id, type: "save" } : { id, type: "save", force };
    }
    case "saveAs": {
      const path = text(message.path, "path", 4096);
      if (path.length === 0) fail("path must not be empty");
      const force = optionalBoolean(message.force, "force");
      return force === undefined ? { id, type: "saveAs", path } : { id, type: "saveAs", path, force };
    }
    case "reopenWithEncoding":
      return { id, type: "reopenWithEncoding", encoding: text(message.encoding, "encoding", 64) };
    case "reopenFile": {
      const discardEdits = optionalBoolean(message.discardEdits, "discardEdits");
      const baseVersion =
        message.baseVersion === undefined ? undefined : offset(message.baseVersion, "baseVersion");
      return {
        id,
        type: "reopenFile",
        ...(discardEdits === undefined ? {} : { discardEdits }),
        ...(baseVersion === undefined ? {} : { baseVersion }),
      };
    }
    case "saveWithEncoding": {
      const force = optionalBoolean(message.force, "force");
      const encoding = text(message.encoding, "encoding", 64);
      return { id, type: "saveWithEncoding", encoding, ...(force === undefined ? {} : { force }) };
    }
    case "filter":
      return {
        id,
        type: "filter",
        filterId: offset(message.filterId, "filterId"),
        query: query(message.query),
      };
    case "filterLines":
      return {
        id,
        type: "filterLines",
        filterId: offset(message.filterId, "filterId"),
        from: offset(message.from, "from"),
        count: count(message.count, "count", MAX_FILTER_LINES),
      };
    case "filterIndex":
      return {
        id,
        type: "filterIndex",
        filterId: offset(message.filterId, "filterId"),
        line: offset(message.line, "line"),
      };
    case "saveFiltered": {
      const path = text(message.path, "path", 4096);
      if (path.length === 0) fail("path must not be empty");
      const force = optionalBoolean(message.force, "force");
      const filterId = offset(message.filterId, "filterId");
      return { id, type: "saveFiltered", filterId, path, ...(force === undefined ? {} : { force }) };
    }
    default:
      fail(`unknown request type ${JSON.stringify(message.type)}`);
  }
}

/** Parses one message (already JSON-decoded) into a Request, or says what is wrong with it. */
export function parseRequest(message: unknown): ParsedRequest {
  const id =
    isRecord(message) && typeof message.id === "number" && Number.isSafeInteger(message.id)
      ? message.id
      : null;
  try {
    if (!isRecord(message)) fail("a request must be a JSON object");
    if (id === null) fail("a request needs an integer id");
    return { ok: true, request: parse(message, id) };
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    return { ok: false, id, error: { code: "EBADREQUEST", message: error.message } };
  }
}
