/**
 * The encoding a hosted document is read in: guessed from its first MiB when it opens, or chosen
 * by the user (Reopen with Encoding). It names the codec every read and edit of the host goes
 * through, and tells the UI what it shows in the status bar and how to count its text's bytes.
 * Changing it changes no byte: the same bytes are read another way.
 */
import { isAscii } from "node:buffer";
import { detectEncoding, guessEncoding } from "../piece-table/index.js";
import type { DocumentInfo } from "../protocol/index.js";
import { ENCODINGS, encodingName, type TextCodec, textCodec } from "./text-codec.js";

type EncodingInfo = Pick<DocumentInfo, "encoding" | "encodingConfidence" | "counting" | "encodings">;

export class DocumentEncoding {
  /** The codec reads and edits go through. */
  private current: TextCodec;
  /** What the status bar shows ("ascii", "utf-8-bom", "windows-1252", …). */
  private shown: string;
  private confidence: number;

  /**
   * From the document's first bytes (`truncated`: the sample stops mid-file). `readsUnits` says the
   * engine counts the document's lines in UTF-16 code units (it opened it as UTF-16); a UTF-16
   * guess is only taken up then, since the host cuts windows at the lines the engine counts.
   */
  constructor(
    sample: Buffer,
    truncated: boolean,
    /** The encoding the engine opened the document in, when it counts lines its own way (UTF-16). */
    private readonly engineEncoding: string | null = null,
  ) {
    const guess = guessEncoding(sample, truncated);
    const guessed = guess.encoding === "binary" ? "utf-8" : guess.encoding;
    const usable = guessed.startsWith("utf-16") ? engineEncoding === guessed : encodingName(guessed) !== null;
    this.current = textCodec(usable ? guessed : "utf-8");
    this.shown = usable
      ? detectEncoding(sample, truncated)
      : guess.encoding === "binary"
        ? "binary"
        : "utf-8";
    this.confidence = usable ? guess.confidence : 1;
  }

  get codec(): TextCodec {
    return this.current;
  }

  /** Reads the same bytes as `label` from now on (a WHATWG name or label); throws a RangeError for one we do not read. */
  choose(label: string): void {
    const codec = textCodec(label);
    const unitsWanted = codec.encoding.startsWith("utf-16");
    const unitsCounted = this.engineEncoding?.startsWith("utf-16") ?? false;
    if (unitsWanted !== unitsCounted || (unitsWanted && codec.encoding !== this.engineEncoding)) {
      throw new RangeError(
        `the file was opened ${unitsCounted ? `as ${this.engineEncoding}` : "byte by byte"}, and its lines are ` +
          `counted that way: to read it as ${codec.encoding}, open it anew with that encoding ` +
          `(gigapad serve FILE --encoding ${codec.encoding})`,
      );
    }
    this.current = codec;
    this.shown = this.current.encoding;
    this.confidence = 1;
  }

  /** Text of bytes in the document's encoding (escaped where they do not decode). */
  decode(bytes: Buffer): string {
    // ASCII reads the same in UTF-8 and every legacy set we read, and latin1 is the fastest way.
    if (this.current.encoding !== "utf-16le" && this.current.encoding !== "utf-16be" && isAscii(bytes)) {
      return bytes.toString("latin1");
    }
    return this.current.decode(bytes);
  }

  /** What the UI needs: the name, how sure the guess is, how to count bytes, what else to choose. */
  info(): EncodingInfo {
    const counting = this.current.counting;
    return {
      encoding: this.shown,
      encodingConfidence: Math.round(this.confidence * 100) / 100,
      ...(counting.kind === "utf-8" ? {} : { counting }),
      encodings: ENCODINGS,
    };
  }
}
