/**
 * Seeded benchmark corpora, generated under a temp folder and deleted afterwards.
 * The same seed gives the same bytes, so runs on different machines compare like with like.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** xorshift32: small, fast, deterministic. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state % bound;
  }
}

const BLOCK_BYTES = 16 * 1024 * 1024;
const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const WORDS = ["request", "user", "session", "cache", "miss", "hit", "timeout", "retry", "GET", "POST", "db"];

function writeGenerated(
  path: string,
  size: number,
  fill: (block: Buffer, random: SeededRandom) => number,
): void {
  const random = new SeededRandom(0x9e3779b9);
  const fd = openSync(path, "w");
  const block = Buffer.alloc(BLOCK_BYTES + 4096);
  try {
    let written = 0;
    while (written < size) {
      const used = fill(block, random);
      const count = Math.min(used, size - written);
      writeSync(fd, block, 0, count, written);
      written += count;
    }
  } finally {
    closeSync(fd);
  }
}

/** Log lines of varied length (20..400 bytes), LF-terminated, plain ASCII. */
export function writeLogCorpus(path: string, size: number): void {
  let sequence = 0;
  writeGenerated(path, size, (block, random) => {
    let at = 0;
    while (at < BLOCK_BYTES) {
      sequence++;
      let line = `2026-11-22T07:${String(sequence % 60).padStart(2, "0")}:00.${sequence % 1000}Z ${
        LEVELS[random.below(LEVELS.length)]
      } [worker-${random.below(64)}] id=${sequence}`;
      const words = random.below(random.below(8) === 0 ? 60 : 12);
      for (let w = 0; w < words; w++) line += ` ${WORDS[random.below(WORDS.length)]}=${random.below(100000)}`;
      at += block.write(`${line}\n`, at, "latin1");
    }
    return at;
  });
}

/** CRLF lines with invalid UTF-8 bytes, lone CRs and NULs mixed in. */
export function writeCrlfInvalidCorpus(path: string, size: number): void {
  writeGenerated(path, size, (block, random) => {
    let at = 0;
    while (at < BLOCK_BYTES) {
      const length = 10 + random.below(200);
      for (let i = 0; i < length; i++) {
        const kind = random.below(100);
        block[at++] =
          kind < 2 ? 0xff : kind < 3 ? 0xc3 : kind < 4 ? 0 : kind < 5 ? 13 : 32 + random.below(95);
      }
      block[at++] = 13;
      block[at++] = 10;
    }
    return at;
  });
}

/** One line with no newline at all (a minified JSON dump). */
export function writeSingleLineCorpus(path: string, size: number): void {
  writeGenerated(path, size, (block, random) => {
    let at = 0;
    while (at < BLOCK_BYTES)
      at += block.write(`{"k${random.below(1000)}":${random.below(1e9)}},`, at, "latin1");
    return at;
  });
}

/** Reads the whole file once so every run measures a warm page cache. */
export function warmCache(path: string): void {
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(BLOCK_BYTES);
  try {
    let position = 0;
    for (;;) {
      const got = readSync(fd, buffer, 0, buffer.length, position);
      if (got === 0) break;
      position += got;
    }
  } finally {
    closeSync(fd);
  }
}

/** A temp folder for corpora, removed by the returned cleanup. */
export function corpusFolder(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "gigapad-bench-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** "1g" → 1 GiB, "256m" → 256 MiB. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(text.trim());
  if (!match) throw new Error(`bad size '${text}' (use e.g. 256m, 1g, 4g)`);
  const unit = { "": 1, k: 1024, m: MiB, g: GiB }[match[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(match[1]) * unit);
}
