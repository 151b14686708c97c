/**
 * A UI's query as the engine's find arguments, in the document's encoding. The engine finds UTF-8
 * text, or bytes: in a document read in another encoding a plain (case-sensitive, literal) query is
 * encoded as the file writes it and found as bytes; a regex, case-insensitive or whole-word query
 * runs on the engine's text and is taken only when it is ASCII (which every legacy set we read
 * writes as itself), and so is such a replacement's own text (what `$1` and `$&` copy from the
 * match the engine writes back as the bytes it read). The engine finds bytes: in the multi-byte
 * sets the host keeps only the matches of whole characters (character-boundary.ts).
 */
import type { FindOptions, SearchPattern } from "../piece-table/index.js";
import type { FindQuery } from "../protocol/index.js";
import { HostError } from "./host-error.js";
import type { TextCodec } from "./text-codec.js";

function isAsciiText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
/** UTF-16 documents are searched by the engine itself in code units (it opened them as UTF-16). */
const searchedAsText = (codec: TextCodec | undefined) =>
  !codec || codec.encoding === "utf-8" || codec.encoding.startsWith("utf-16");

function optionsOf(query: FindQuery): FindOptions {
  return {
    regex: query.regex ?? false,
    caseSensitive: query.caseSensitive ?? true,
    wholeWord: query.wholeWord ?? false,
  };
}

/** A literal found as it is: case-sensitive, or with no letter that has a case (東京, 123). */
function isPlain(pattern: string, options: FindOptions): boolean {
  const caseless = pattern.toLowerCase() === pattern.toUpperCase();
  return !options.regex && !options.wholeWord && (options.caseSensitive !== false || caseless);
}

/** The engine's pattern and options for `query` in a document read with `codec` (default UTF-8). */
export function findArguments(query: FindQuery, codec?: TextCodec): [SearchPattern, FindOptions] {
  const options = optionsOf(query);
  if (searchedAsText(codec)) return [query.pattern, options];
  if (isPlain(query.pattern, options))
    return [codec!.encode(query.pattern), { ...options, caseSensitive: true }];
  if (!isAsciiText(query.pattern)) {
    throw new HostError(
      "EENCODING",
      `in ${codec!.encoding} text, a regular expression, case-insensitive or whole-word search takes ASCII ` +
        "characters only; search for other text with those options off",
    );
  }
  return [query.pattern, options];
}

/** The replacement to write for matches of `query` in a document read with `codec`. */
export function replacementFor(
  query: FindQuery,
  replacement: string,
  codec?: TextCodec,
): string | Uint8Array {
  if (searchedAsText(codec)) return replacement;
  // In the multi-byte sets a match found in bytes may start inside a character (Shift_JIS's
  // second bytes overlap ASCII): the host replaces only whole-character matches
  // (character-boundary.ts).
  if (isPlain(query.pattern, optionsOf(query))) return codec!.encode(replacement);
  if (!isAsciiText(replacement)) {
    throw new HostError(
      "EENCODING",
      `in ${codec!.encoding} text, a regular expression, case-insensitive or whole-word replace writes ` +
        "ASCII text (and $1, $& as they were); replace other text with those options off",
    );
  }
  return replacement;
}
