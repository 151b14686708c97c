/**
 * RegExp matching over one chunk of bytes (piece-table/regex-chunk.ts), tested directly: byte
 * offsets for ASCII, UTF-8 and invalid UTF-8; the required-literal prefilter and the line-by-line
 * path giving the same matches as a whole-chunk scan; replaceAll's matches and replacements as
 * String.prototype.replace makes them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChunkMatches,
  chunkMatches,
  expandReplacement,
  matchesInChunk,
  type RegexTask,
} from "../../piece-table/regex-chunk.js";

function whole(bytes: Buffer, base: number, regex: RegExp): ChunkMatches {
  const out: ChunkMatches = { starts: [], ends: [] };
  matchesInChunk(bytes, base, regex, out);
  return out;
}

/** Non-empty matches of a valid UTF-8 text, as byte offsets: the slow obvious way. */
function naiveMatches(text: string, regex: RegExp, base = 0): ChunkMatches {
  const out: ChunkMatches = { starts: [], ends: [] };
  for (const match of text.matchAll(regex)) {
    if (match[0].length === 0) continue;
    const start = Buffer.byteLength(text.slice(0, match.index), "utf8");
    out.starts.push(base + start);
    out.ends.push(base + start + Buffer.byteLength(match[0], "utf8"));
  }
  return out;
}

const task = (regex: RegExp, changes: Partial<RegexTask> = {}): RegexTask => ({
  source: regex.source,
  flags: regex.flags,
  requiredLiteral: null,
  lineLocal: false,
  ...changes,
});

describe("matchesInChunk", () => {
  it("gives byte offsets from the base in an ASCII chunk", () => {
    expect(whole(Buffer.from("a cat, a cat"), 100, /cat/g)).toEqual({ starts: [102, 109], ends: [105, 112] });
  });

  it("measures offsets in bytes in a UTF-8 chunk (characters of 2, 3 and 4 bytes before a match)", () => {
    const text = "é€😀 cat ü cat";
    expect(whole(Buffer.from(text), 10, /cat/g)).toEqual(naiveMatches(text, /cat/g, 10));
    expect(whole(Buffer.from(text), 0, /€|😀/gu)).toEqual({ starts: [2, 5], ends: [5, 9] });
  });

  it("reads a chunk with invalid UTF-8 byte by byte, so offsets stay exact", () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("cat"),
      Buffer.from([0xc3]),
      Buffer.from("cat"),
    ]);
    expect(whole(bytes, 0, /cat/g)).toEqual({ starts: [2, 6], ends: [5, 9] });
  });

  it("skips empty matches without looping forever", () => {
    expect(whole(Buffer.from("aa-a"), 0, /a*/g)).toEqual({ starts: [0, 3], ends: [2, 4] });
    expect(whole(Buffer.from("abc"), 0, /(?:)/g)).toEqual({ starts: [], ends: [] });
  });

  it("starts from the chunk's beginning whatever lastIndex the regex had", () => {
    const regex = /cat/g;
    regex.lastIndex = 5;
    expect(whole(Buffer.from("cat cat"), 0, regex).starts).toEqual([0, 4]);
  });

  it("equals the naive byte offsets for any UTF-8 text (property)", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom("a", "b", "é", "€", "😀", "\n", " "), { maxLength: 60 })
          .map((parts) => parts.join("")),
        fc.constantFrom(/a+/g, /b[^\n]*a/g, /é|€/g, /😀/gu, /\ba\b/g, /^a/gm, /a$/gm),
        (text, regex) => {
          expect(whole(Buffer.from(text), 7, regex)).toEqual(naiveMatches(text, regex, 7));
        },
      ),
    );
  });
});

describe("chunkMatches", () => {
  it("without a required literal, scans the whole chunk", () => {
    const bytes = Buffer.from("x1 y22\nz333");
    expect(chunkMatches(bytes, 5, /\d+/g, task(/\d+/g))).toEqual(whole(bytes, 5, /\d+/g));
  });

  it("a chunk without the required literal has no matches (the regex never runs)", () => {
    const regex = /ERROR \d+/g;
    const bytes = Buffer.from("ok 1\nok 2\nERRO 3\n");
    const literalTask = task(regex, { requiredLiteral: Buffer.from("ERROR"), lineLocal: true });
    expect(chunkMatches(bytes, 0, regex, literalTask)).toEqual({ starts: [], ends: [] });
  });

  it("line by line: only the lines holding the literal, with offsets in the chunk", () => {
    const lines = ["ok 1", "ERROR 22 and ERROR 3", "ok", "x ERROR 4444", "last ERROR 5"];
    const text = `${lines.join("\n")}`;
    const bytes = Buffer.from(text);
    // Many short lines without the literal, so the per-line path is taken.
    const padded = Buffer.concat([bytes, Buffer.from(`\n${"filler line\n".repeat(200)}`)]);
    const regex = /ERROR \d+/g;
    const found = chunkMatches(
      padded,
      1000,
      regex,
      task(regex, { requiredLiteral: Buffer.from("ERROR"), lineLocal: true }),
    );
    expect(found).toEqual(whole(padded, 1000, regex));
    expect(found.starts).toHaveLength(4);
    // A line at the very start, and a last line without a line end.
    const edge = Buffer.from(`ERROR 1\n${"filler\n".repeat(100)}ERROR 2`);
    expect(
      chunkMatches(edge, 0, regex, task(regex, { requiredLiteral: Buffer.from("ERROR"), lineLocal: true })),
    ).toEqual(whole(edge, 0, regex));
  });

  it("lines too dense with the literal: the whole chunk at once, same matches", () => {
    const bytes = Buffer.from("E1\nE2\nE3\nE4\n");
    const regex = /E\d/g;
    expect(
      chunkMatches(bytes, 0, regex, task(regex, { requiredLiteral: Buffer.from("E"), lineLocal: true })),
    ).toEqual(whole(bytes, 0, regex));
  });

  it("a regex that can span lines runs over the whole chunk once the literal is there", () => {
    const bytes = Buffer.from(`start\n${"middle\n".repeat(100)}end`);
    const regex = /start[\s\S]*?end/g;
    const found = chunkMatches(
      bytes,
      0,
      regex,
      task(regex, { requiredLiteral: Buffer.from("start"), lineLocal: false }),
    );
    expect(found).toEqual({ starts: [0], ends: [bytes.length] });
  });

  it("the line-by-line path equals a whole-chunk scan for line-local regexes (property)", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom("ab", "a", "b", "x", "é", "\n", "\n", "ERR", "ERR7"), { maxLength: 300 })
          .map((parts) => Buffer.from(parts.join(""))),
        fc.constantFrom(/ERR\d?/g, /^ERR/gm, /ERR[^\n]*$/gm, /b?ERR7/g),
        (bytes, regex) => {
          const lineTask = task(regex, { requiredLiteral: Buffer.from("ERR"), lineLocal: true });
          expect(chunkMatches(bytes, 3, regex, lineTask)).toEqual(whole(bytes, 3, regex));
        },
      ),
    );
  });
});

describe("chunkMatches for replaceAll", () => {
  const replacing = (regex: RegExp, template?: string, literal: string | null = null): RegexTask =>
    task(regex, {
      replacing: true,
      ...(template === undefined ? {} : { template }),
      requiredLiteral: literal === null ? null : Buffer.from(literal),
    });

  it("includes empty matches, as String.prototype.replace sees them", () => {
    const found = chunkMatches(Buffer.from("ab"), 10, /x*/g, replacing(/x*/g));
    expect(found.starts).toEqual([10, 11, 12]);
    expect(found.ends).toEqual([10, 11, 12]);
    expect(found.replacementBytes).toBeUndefined();
  });

  it("steps over a whole surrogate pair after an empty match with u, and over one unit without", () => {
    const text = "😀a";
    const withU = chunkMatches(Buffer.from(text), 0, /(?:)/gu, replacing(/(?:)/gu));
    expect(withU.starts).toEqual([0, 4, 5]);
    // biome-ignore lint/complexity/useRegexLiterals: a /v literal needs ES2024, past the tsconfig's target
    const withV = chunkMatches(Buffer.from(text), 0, new RegExp("", "gv"), replacing(new RegExp("", "gv")));
    expect(withV.starts).toEqual([0, 4, 5]);
  });

  it("computes each replacement where its match stands, bytes concatenated with their ends", () => {
    const text = "k=1; key=22; é=333";
    const regex = /(\w+)=(\d+)/g;
    const found = chunkMatches(Buffer.from(text), 0, regex, replacing(regex, "$2:$1"));
    const replacements = text.match(regex)!.map((match) => match.replace(/(\w+)=(\d+)/, "$2:$1"));
    const bytes = Buffer.from(replacements.join(""));
    expect(Buffer.from(found.replacementBytes!).equals(bytes)).toBe(true);
    let end = 0;
    expect(found.replacementEnds).toEqual(
      replacements.map((replacement) => (end += Buffer.byteLength(replacement))),
    );
    expect(found.starts).toEqual(naiveMatches(text, regex).starts);
  });

  it("a chunk without the required literal is skipped; with it, the whole chunk is used", () => {
    const regex = /b/g;
    expect(chunkMatches(Buffer.from("aaa\naaa"), 0, regex, replacing(regex, "c", "b"))).toEqual({
      starts: [],
      ends: [],
    });
    const found = chunkMatches(Buffer.from("ab\nab"), 0, regex, replacing(regex, "c", "b"));
    expect(found.starts).toEqual([1, 4]);
    expect(Buffer.from(found.replacementBytes!).toString()).toBe("cc");
  });

  it("an empty list of matches gives empty replacement bytes", () => {
    const found = chunkMatches(Buffer.from("aaa"), 0, /b/g, replacing(/b/g, "x"));
    expect(found.replacementBytes?.length).toBe(0);
    expect(found.replacementEnds).toEqual([]);
  });
});

describe("expandReplacement", () => {
  /** What String.prototype.replace makes of the first match of `regex` in `subject` with `template`. */
  function viaString(subject: string, regex: RegExp, template: string): string {
    const match = new RegExp(regex.source, regex.flags.replace("g", "")).exec(subject)!;
    const replaced = subject.replace(new RegExp(regex.source, regex.flags.replace("g", "")), template);
    return replaced.slice(match.index, replaced.length - (subject.length - match.index - match[0].length));
  }

  const templates = [
    "plain",
    "$$",
    "$&",
    "$`",
    "$'",
    "$1",
    "$2",
    "$3",
    "$0",
    "$10",
    "$01",
    "$1$2",
    "[$<word>]",
    "$<missing>",
    "$<",
    "$<word",
    "$",
    "a$",
    "$x",
    "€$1€",
    "$$1",
  ];

  it("equals String.prototype.replace for every kind of $ pattern (UTF-8 text)", () => {
    const subject = "before é(word) 42 after";
    const regex = /\((?<word>\w+)\) (\d)/;
    const match = regex.exec(subject)!;
    for (const template of templates) {
      const bytes = expandReplacement(template, match, subject, false);
      expect(bytes.toString("utf8"), template).toBe(viaString(subject, regex, template));
    }
  });

  it("without named groups, $< is literal text", () => {
    const subject = "ab";
    const match = /(a)/.exec(subject)!;
    expect(expandReplacement("$<x>", match, subject, false).toString()).toBe("$<x>");
    expect(expandReplacement("$<x>", match, subject, false).toString()).toBe(
      viaString(subject, /(a)/, "$<x>"),
    );
  });

  it("two-digit captures: $10 is capture 10 when there are ten, else $1 then 0", () => {
    const subject = "abcdefghijk";
    const ten = /(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)/.exec(subject)!;
    expect(expandReplacement("$10", ten, subject, false).toString()).toBe("j");
    expect(expandReplacement("$11", ten, subject, false).toString()).toBe("a1");
    const one = /(a)/.exec(subject)!;
    expect(expandReplacement("$10", one, subject, false).toString()).toBe("a0");
  });

  it("an unmatched optional capture is empty", () => {
    const subject = "ac";
    const match = /a(b)?c/.exec(subject)!;
    expect(expandReplacement("[$1]", match, subject, false).toString()).toBe("[]");
  });

  it("in a byte-indexed chunk, text from the subject comes back as the raw bytes; the template's own text as UTF-8", () => {
    const raw = Buffer.from([0x61, 0xff, 0x62]);
    const subject = raw.toString("latin1");
    const match = /\xff/.exec(subject)!;
    const bytes = expandReplacement("é$&$`$'", match, subject, true);
    expect(bytes.equals(Buffer.concat([Buffer.from("é"), Buffer.from([0xff, 0x61, 0x62])]))).toBe(true);
  });
});
