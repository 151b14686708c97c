/**
 * What a RegExp's source says about every match, read conservatively (a "don't know" is always
 * safe): a literal each match must contain, for the native prefilter, and whether a match can
 * contain a line feed (if not, a match lies inside one line and only the lines holding the
 * literal need the regex).
 */

/** Characters an escape turns into themselves (the syntax characters, `/` and `-`). */
const SYNTAX_CHARACTERS = "^$\\.*+?()[]{}|/-";
const HEX2 = /^[0-9a-fA-F]{2}$/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Length of the escape starting at source[at] === "\\". */
function escapeLength(source: string, at: number): number {
  const next = source[at + 1];
  if (next === undefined) return 1;
  const upTo = (close: string) => {
    const end = source.indexOf(close, at + 3);
    return end < 0 ? 2 : end - at + 1;
  };
  if (next === "u") {
    if (source[at + 2] === "{") return upTo("}");
    return HEX4.test(source.slice(at + 2, at + 6)) ? 6 : 2;
  }
  if (next === "x") return HEX2.test(source.slice(at + 2, at + 4)) ? 4 : 2;
  if (next === "c") return /[a-zA-Z]/.test(source[at + 2] ?? "") ? 3 : 2;
  if (next === "k" && source[at + 2] === "<") return upTo(">");
  if ((next === "p" || next === "P" || next === "q") && source[at + 2] === "{") return upTo("}");
  if (next >= "0" && next <= "9") {
    let end = at + 1;
    while (end < source.length && source[end]! >= "0" && source[end]! <= "9") end++;
    return end - at;
  }
  return 2;
}

/** The code unit an escape stands for, or null (a class like \d, or not known here). */
function escapeValue(source: string, at: number): number | null {
  const next = source[at + 1];
  if (next === undefined) return null;
  const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, b: 8, "0": 0 };
  if (next in simple && !(next === "0" && /[0-9]/.test(source[at + 2] ?? ""))) return simple[next]!;
  if (next === "x" && HEX2.test(source.slice(at + 2, at + 4)))
    return Number.parseInt(source.slice(at + 2, at + 4), 16);
  if (next === "u" && HEX4.test(source.slice(at + 2, at + 6)))
    return Number.parseInt(source.slice(at + 2, at + 6), 16);
  if (next === "u" && source[at + 2] === "{") {
    const digits = source.slice(at + 3, at + escapeLength(source, at) - 1);
    return /^[0-9a-fA-F]+$/.test(digits) ? Number.parseInt(digits, 16) : null;
  }
  if (next === "c" && /[a-zA-Z]/.test(source[at + 2] ?? "")) return source.charCodeAt(at + 2) % 32;
  if (/[dDwWsSpPqk0-9]/.test(next)) return null;
  return next.charCodeAt(0);
}

/** Whether the escape at source[at] may match a line feed. */
function escapeMayMatchLineFeed(source: string, at: number): boolean {
  const next = source[at + 1] ?? "";
  // \s, the negated classes, properties and class strings may; so may a two-digit (octal) escape.
  if (/[sSDWpPq]/.test(next)) return true;
  if (/[0-9]/.test(next) && /[0-9]/.test(source[at + 2] ?? "")) return true;
  return escapeValue(source, at) === 10;
}

/** Index just past the character class opening at source[open] === "[". */
function classEnd(source: string, open: number, nested: boolean): number {
  let depth = 0;
  for (let at = open; at < source.length; at++) {
    const char = source[at];
    if (char === "\\") at++;
    else if (char === "[" && (at === open || nested)) depth++;
    else if (char === "]" && --depth === 0) return at + 1;
  }
  return source.length;
}

/** Index just past the group opening at source[open] === "(", or -1. */
function groupEnd(source: string, open: number, nested: boolean): number {
  let depth = 0;
  for (let at = open; at < source.length; at++) {
    const char = source[at];
    if (char === "\\") at++;
    else if (char === "[") at = classEnd(source, at, nested) - 1;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0) return at + 1;
  }
  return -1;
}

/** Whether the class source[open..end) may match a line feed: negated, a range over it, \s... */
function classMayMatchLineFeed(source: string, open: number, end: number, nested: boolean): boolean {
  if (source[open + 1] === "^") return true;
  if (nested && source.slice(open + 1, end - 1).includes("[")) return true;
  const items: (number | null)[] = [];
  const ranges: boolean[] = [];
  for (let at = open + 1; at < end - 1; ) {
    if (source[at] === "\\") {
      if (escapeMayMatchLineFeed(source, at)) return true;
      items.push(escapeValue(source, at));
      at += escapeLength(source, at);
    } else if (source[at] === "-" && items.length > 0 && at + 1 < end - 1) {
      ranges[items.length] = true;
      at++;
    } else {
      const code = source.codePointAt(at)!;
      if (code === 10) return true;
      items.push(code);
      at += code > 0xffff ? 2 : 1;
    }
  }
  for (let i = 1; i < items.length; i++) {
    if (!ranges[i]) continue;
    const low = items[i - 1];
    const high = items[i];
    if (low == null || high == null || (low <= 10 && high >= 10)) return true;
  }
  return false;
}

/** The quantifier at source[at], if any: its least repeat count and its length. */
function quantifierAt(source: string, at: number): { min: number; length: number } | null {
  const char = source[at];
  let found: { min: number; length: number } | null = null;
  if (char === "*" || char === "?") found = { min: 0, length: 1 };
  else if (char === "+") found = { min: 1, length: 1 };
  else if (char === "{") {
    const braces = /^\{(\d+)(,\d*)?\}/.exec(source.slice(at));
    if (braces) found = { min: Number(braces[1]), length: braces[0].length };
  }
  if (found && source[at + found.length] === "?") found.length++;
  return found;
}

/**
 * The longest run of plain ASCII characters every match must contain, or null. Conservative: a
 * top-level alternation gives up; a class, escape class, assertion, back-reference or optional
 * atom ends a run; a group that must match (capturing, `(?:`, named; not a lookaround) offers its
 * own required literal. Case-insensitive patterns have none. Non-ASCII characters end a run: in a
 * chunk that is not valid UTF-8 the regex sees bytes as Latin-1, which no UTF-8 literal finds.
 */
export function requiredLiteralOf(source: string, flags = ""): string | null {
  if (flags.includes("i")) return null;
  const nested = flags.includes("v");
  let best = "";
  let run = "";
  const consider = (candidate: string | null) => {
    if (candidate !== null && candidate.length > best.length) best = candidate;
  };
  const endRun = () => {
    consider(run);
    run = "";
  };
  for (let at = 0; at < source.length; ) {
    const char = source[at]!;
    if (char === "|") return null;
    let literal: string | null = null;
    let inner: string | null = null;
    let next = at + 1;
    if (char === "\\") {
      const escaped = source[at + 1];
      if (escaped !== undefined && SYNTAX_CHARACTERS.includes(escaped)) literal = escaped;
      next = at + escapeLength(source, at);
    } else if (char === "[") {
      next = classEnd(source, at, nested);
    } else if (char === "(") {
      next = groupEnd(source, at, nested);
      if (next < 0) return null;
      const body = source.slice(at + 1, next - 1);
      if (!body.startsWith("?")) inner = requiredLiteralOf(body, flags);
      else if (body.startsWith("?:")) inner = requiredLiteralOf(body.slice(2), flags);
      else if (/^\?<[A-Za-z_$]/.test(body))
        inner = requiredLiteralOf(body.slice(body.indexOf(">") + 1), flags);
    } else if (!"^$.)]}*+?{".includes(char)) {
      const code = char.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdbff && /[\udc00-\udfff]/.test(source[at + 1] ?? "")) next = at + 2;
      if (code < 0x80) literal = char;
    }
    const quantifier = quantifierAt(source, next);
    const required = quantifier === null || quantifier.min >= 1;
    if (quantifier) next += quantifier.length;
    if (literal !== null && required) {
      run += literal;
      // A repeated character ends the run: what follows it need not follow the first one.
      if (quantifier) endRun();
    } else {
      endRun();
    }
    if (required) consider(inner);
    at = next;
  }
  endRun();
  return best.length > 0 ? best : null;
}

/**
 * Whether no match can contain a line feed: not with the s flag, a line feed or an escape for
 * one, \s and the negated escape classes (\S \D \W), properties, or a class that is negated or
 * has a range over the line feed (or an end this reading cannot tell). `.` without s cannot.
 */
export function isLineLocal(source: string, flags: string): boolean {
  if (flags.includes("s")) return false;
  const nested = flags.includes("v");
  for (let at = 0; at < source.length; at++) {
    const char = source[at];
    if (char === "\n") return false;
    if (char === "\\") {
      if (escapeMayMatchLineFeed(source, at)) return false;
      at += escapeLength(source, at) - 1;
    } else if (char === "[") {
      const end = classEnd(source, at, nested);
      if (classMayMatchLineFeed(source, at, end, nested)) return false;
      at = end - 1;
    }
  }
  return true;
}
