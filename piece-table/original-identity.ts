/**
 * The identity of an original file: what a session is committed over, and how a changed file is
 * told from the one a session was made for.
 */
import type { MappedFile } from "../native/index.js";
import { checksum, type OriginalIdentity } from "./session-format.js";

/**
 * Identity of the original: dev, ino, size, mtime, and a checksum of 16 samples of 256 bytes
 * spread over the file (catches a rewrite that kept size and mtime).
 */
export function identityOf(original: MappedFile): OriginalIdentity {
  return identityFrom(original.identity, (start, end) => original.read(start, end));
}

/** The same identity from a file's stat fields and a way to read its bytes. */
export function identityFrom(
  stat: { dev: bigint; ino: bigint; size: number; mtimeNs: bigint },
  read: (start: number, end: number) => Buffer,
): OriginalIdentity {
  const { dev, ino, size, mtimeNs } = stat;
  const samples: Buffer[] = [];
  const sampleBytes = 256;
  for (let i = 0; i < 16 && size > 0; i++) {
    const at = Math.floor(((size - Math.min(size, sampleBytes)) * i) / 15);
    samples.push(read(at, Math.min(size, at + sampleBytes)));
  }
  return { dev, ino, size, mtimeNs, sample: checksum(Buffer.concat(samples)) };
}
