/**
 * A durability campaign a user runs on their own disk (what `gigapad crashtest` does): a child
 * process edits, commits and saves a copy of a file and is killed — at random moments and at
 * every named crash point — and after each kill the copy is reopened and checked: the document
 * is exactly the last acknowledged commit or the one in flight, and the file on disk is the whole
 * old or the whole new version. The user's file itself is only read, to make the copy.
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import { type Document, open } from "../piece-table/index.js";
import type { CrashAt, CrashPoint } from "../piece-table/internal.js";

/** Steps of the workload: edits, a commit after each, a save after every fourth. */
export const CAMPAIGN_STEPS = 12;
const SAVE_EVERY = 4;
/** The points the campaign kills at: typed, so a misspelt one fails to compile instead of never firing. */
const COMMIT_POINTS: readonly CrashPoint[] = [
  "commit:before-add-sync",
  "commit:after-add-sync",
  "commit:after-meta-write",
  "commit:after-meta-sync",
  "commit:after-slot-write",
  "commit:after-slot-sync",
];
const SAVE_POINTS: readonly CrashPoint[] = [
  "save:after-temp-write",
  "save:after-temp-sync",
  "save:after-epoch-commit",
  "save:after-rename",
  "save:after-directory-sync",
];
/** Bytes of the generated log when no file is given. */
const GENERATED_BYTES = 8 * 1024 * 1024;
const HASH_CHUNK_BYTES = 16 * 1024 * 1024;

export interface CampaignOptions {
  /** The file to test with (copied; never modified). Without one, a log is generated. */
  file?: string;
  /** Random-time kills. */
  kills: number;
  /** Also kill at each named crash point of commit and save. */
  crashPoints: boolean;
  /** Where the copies and sessions go (default: beside the file, to test its filesystem). */
  dir?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface Violation {
  trial: string;
  problem: string;
}

export interface CampaignResult {
  file: string | null;
  dir: string;
  bytes: number;
  trials: number;
  recoveredExactly: number;
  violations: Violation[];
  seconds: number;
}

/** Applies step k of the workload to a document (deterministic). */
export async function applyCampaignStep(doc: Document, k: number): Promise<void> {
  const at = (n: number) => Math.floor((doc.length * ((k * 37 + n) % 101)) / 101);
  switch (k % 4) {
    case 0:
      for (let i = 0; i < 40; i++)
        doc.insert(Math.min(doc.length, at(0) + i), String.fromCharCode(97 + ((k + i) % 26)));
      break;
    case 1:
      doc.delete(at(1), Math.min(doc.length, at(1) + 4096));
      break;
    case 2:
      doc.insert(at(2), `pasted block ${k}\n`.repeat(4096));
      break;
    default:
      doc.undo();
      doc.insert(0, `line added at step ${k}\n`);
  }
}

/** Runs the workload: step, commit (and every fourth step, save), reporting each stage. */
export async function runCampaignWorkload(doc: Document, report: (line: string) => void): Promise<void> {
  for (let k = 1; k <= CAMPAIGN_STEPS; k++) {
    await applyCampaignStep(doc, k);
    report(`started ${k}`);
    await doc.commit();
    report(`acked ${k}`);
    if (k % SAVE_EVERY === 0) {
      report(`saving ${k}`);
      await doc.save();
      report(`saved ${k}`);
    }
  }
}

/** A fingerprint of the content: length and CRC-32 (fast on GB files; the versions compared are not adversarial). */
async function hashDocument(doc: Document): Promise<string> {
  let crc = 0;
  for (let at = 0; at < doc.length; at += HASH_CHUNK_BYTES) {
    crc = crc32(doc.read(at, Math.min(doc.length, at + HASH_CHUNK_BYTES)), crc);
  }
  return `${doc.length}:${crc}`;
}

async function hashFile(path: string): Promise<string> {
  const doc = await open(path, { readOnly: true, stateDir: join(dirname(path), ".no-session") });
  try {
    return await hashDocument(doc);
  } finally {
    await doc.close();
  }
}

interface Expected {
  /** Content hash of each committed version: [before any commit, after commit 1, ...]. */
  versions: string[];
  /** Hash of the file on disk before any save. */
  base: string;
  /** How long the whole workload takes, in ms. */
  duration: number;
}

/** Runs the workload once, untouched, to learn every committed version and how long it takes. */
async function dryRun(base: string, work: string): Promise<Expected> {
  const path = join(work, "dry-run");
  copyFileSync(base, path);
  const doc = await open(path, { stateDir: join(work, "dry-run-state") });
  const versions = [await hashDocument(doc)];
  let duration = 0;
  for (let k = 1; k <= CAMPAIGN_STEPS; k++) {
    const start = Date.now();
    await applyCampaignStep(doc, k);
    await doc.commit();
    if (k % SAVE_EVERY === 0) await doc.save();
    duration += Date.now() - start;
    versions.push(await hashDocument(doc));
  }
  await doc.discard();
  rmSync(path, { force: true });
  return { versions, base: versions[0]!, duration };
}

interface ChildOutcome {
  killed: boolean;
  lines: string[];
}

function runChild(
  path: string,
  stateDir: string,
  crashAt: CrashAt | null,
  killAfterMs: number | null,
): Promise<ChildOutcome> {
  const child = fileURLToPath(new URL("./crashtest-child.js", import.meta.url));
  return new Promise((resolveOutcome, reject) => {
    const proc = spawn(process.execPath, [child, path, stateDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, GIGAPAD_CRASH_AT: crashAt ?? "" },
    });
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (killAfterMs !== null && !timer && stdout.includes("started")) {
        timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
      }
    });
    proc.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== "SIGKILL")
        reject(new Error(`the test child failed (${code}): ${stderr.trim()}`));
      else resolveOutcome({ killed: signal === "SIGKILL", lines: stdout.split("\n").filter(Boolean) });
    });
  });
}

/** Checks one trial; returns a problem, or null if the invariants hold. */
async function checkTrial(
  path: string,
  stateDir: string,
  outcome: ChildOutcome,
  expected: Expected,
): Promise<string | null> {
  let acked = 0;
  let started = 0;
  let lastSaved = 0;
  let saving = 0;
  for (const line of outcome.lines) {
    const [word, value] = line.split(" ");
    const k = Number(value);
    if (word === "started") started = k;
    if (word === "acked") acked = k;
    if (word === "saving") saving = k;
    if (word === "saved") lastSaved = k;
  }
  // The file on disk: the whole version of the last finished save, or of the one in flight.
  const onDisk = await hashFile(path);
  const fileBefore = lastSaved === 0 ? expected.base : expected.versions[lastSaved]!;
  const fileOptions = saving > lastSaved ? [fileBefore, expected.versions[saving]!] : [fileBefore];
  if (!fileOptions.includes(onDisk))
    return "the file on disk is neither the old nor the new version (a torn save)";
  const doc = await open(path, { stateDir });
  const content = await hashDocument(doc);
  await doc.close();
  const allowed = expected.versions.slice(acked, Math.max(acked, started) + 1);
  if (!allowed.includes(content)) {
    const found = expected.versions.indexOf(content);
    return found >= 0
      ? `recovered commit ${found}, but commit ${acked} had been acknowledged`
      : `recovered text is no committed version (commit ${acked} acknowledged, ${started} started)`;
  }
  return null;
}

/** Runs the campaign. Throws only for setup failures (missing file, unwritable folder). */
export async function runCrashCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const startedAt = Date.now();
  const file = options.file ? resolve(options.file) : null;
  const before = file ? statSync(file) : null;
  if (before?.isDirectory()) throw new Error(`cannot test ${file}: it is a directory`);
  const dir = resolve(options.dir ?? (file ? dirname(file) : process.cwd()));
  const work = join(dir, `.gigapad-crashtest-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const base = join(work, file ? basename(file) : "generated.log");
    if (file) copyFileSync(file, base);
    else writeFileSync(base, generatedLog());
    const expected = await dryRun(base, work);
    const trials: { name: string; crashAt: CrashAt | null; killAfterMs: number | null }[] = [];
    let seed = 12345;
    for (let i = 0; i < options.kills; i++) {
      seed = (seed * 48271) % 2147483647;
      trials.push({
        name: `kill ${i + 1}`,
        crashAt: null,
        killAfterMs: seed % Math.max(1, expected.duration),
      });
    }
    if (options.crashPoints) {
      for (const point of [...COMMIT_POINTS, ...SAVE_POINTS]) {
        for (const nth of [1, 2])
          trials.push({ name: `${point}:${nth}`, crashAt: `${point}:${nth}`, killAfterMs: null });
      }
    }
    const violations: Violation[] = [];
    let recoveredExactly = 0;
    for (const [index, trial] of trials.entries()) {
      const path = join(work, `trial-${index}${file ? "" : ".log"}`);
      const stateDir = join(work, `trial-${index}-state`);
      copyFileSync(base, path);
      const outcome = await runChild(path, stateDir, trial.crashAt, trial.killAfterMs);
      const problem = await checkTrial(path, stateDir, outcome, expected);
      if (problem) violations.push({ trial: trial.name, problem });
      else recoveredExactly++;
      rmSync(path, { force: true });
      rmSync(stateDir, { recursive: true, force: true });
      options.onProgress?.(index + 1, trials.length);
    }
    if (file) {
      const after = statSync(file);
      if (after.mtimeMs !== before!.mtimeMs || after.size !== before!.size || after.ino !== before!.ino) {
        violations.push({ trial: "campaign", problem: `${file} itself changed during the campaign` });
      }
    }
    return {
      file,
      dir,
      bytes: statSync(base).size,
      trials: trials.length,
      recoveredExactly,
      violations,
      seconds: (Date.now() - startedAt) / 1000,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function generatedLog(): Buffer {
  const line = (i: number) =>
    `2026-11-22T08:00:${String(i % 60).padStart(2, "0")} INFO request ${i} served\n`;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < GENERATED_BYTES; i++) {
    const text = line(i);
    parts.push(text);
    size += text.length;
  }
  return Buffer.from(parts.join(""));
}
