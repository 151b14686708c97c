/**
 * Tier 1 of CRASH-SAFETY.md: a child edits and commits and is killed abruptly — at each named
 * crash point of commit, before each of its I/O operations in turn, and at random times — and
 * the parent reopens and checks the invariants. (A kill never loses the page cache, so this tier
 * cannot see a missing fsync; the power-loss tier can.)
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CrashAt, CrashPoint } from "../../piece-table/durable-files.js";
import { open } from "../../piece-table/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";
// @ts-expect-error: plain JS fixture shared with the child process
import { ORIGINAL_TEXT, runWorkload } from "./fixtures/workload.mjs";

const tempDir = useTempDirs();
const child = new URL("./fixtures/editor-child.mjs", import.meta.url).pathname;
/** Commits per workload in `npm test`; `npm run test:crash` raises it. */
const COMMITS = Number(process.env.GIGAPAD_CRASH_COMMITS ?? 4);
const POINTS: readonly CrashPoint[] = [
  "commit:before-add-sync",
  "commit:after-add-sync",
  "commit:after-meta-write",
  "commit:after-meta-sync",
  "commit:after-slot-write",
  "commit:after-slot-sync",
];

/** The content of each committed version: [original, after commit 1, ...]. */
async function expectedVersions(commits: number): Promise<string[]> {
  const dir = tempDir();
  const path = join(dir, "model.log");
  writeFileSync(path, ORIGINAL_TEXT);
  const doc = await open(path, { stateDir: join(dir, "state") });
  const versions = [doc.getText()];
  await runWorkload(doc, commits, (line: string) => {
    if (line.startsWith("acked")) versions.push(doc.getText());
  });
  await doc.discard();
  return versions;
}

interface Outcome {
  killed: boolean;
  started: number;
  acked: number;
}

function progressOf(stdout: string, killed: boolean): Outcome {
  let started = 0;
  let acked = 0;
  for (const line of stdout.split("\n")) {
    const [word, k] = line.split(" ");
    if (word === "started") started = Number(k);
    if (word === "acked") acked = Number(k);
  }
  return { killed, started, acked };
}

/** Reopens after a crash and checks invariants 1, 2, 5 and 6; returns the recovered version. */
async function checkRecovery(
  path: string,
  stateDir: string,
  versions: string[],
  outcome: Outcome,
  originalHash: string,
) {
  expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(originalHash);
  const doc = await open(path, { stateDir });
  const text = doc.getText();
  await doc.close();
  // 1 and 2: exactly one committed version (never a blend), at least the last acknowledged one
  // and at most the last started one. (Two versions can have the same text: a commit of a no-op.)
  const newest = Math.max(outcome.started, outcome.acked);
  let version = -1;
  for (let j = newest; j >= outcome.acked; j--) {
    if (versions[j] === text) {
      version = j;
      break;
    }
  }
  expect(version, `recovered text is no version from ${outcome.acked} to ${newest}`).toBeGreaterThanOrEqual(
    0,
  );
  // 5: recovery is idempotent.
  const again = await open(path, { stateDir, readOnly: true });
  expect(again.getText()).toBe(text);
  await again.close();
  return text;
}

function freshFile() {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, ORIGINAL_TEXT);
  return {
    path,
    stateDir: join(dir, "state"),
    hash: createHash("sha256").update(ORIGINAL_TEXT).digest("hex"),
  };
}

function runChild(path: string, stateDir: string, crashAt: CrashAt | null): Outcome {
  const result = spawnSync(process.execPath, [child, path, stateDir, String(COMMITS)], {
    encoding: "utf8",
    env: { ...process.env, GIGAPAD_CRASH_AT: crashAt ?? "" },
  });
  if (result.status !== 0 && result.signal !== "SIGKILL") {
    throw new Error(`child failed (${result.status}): ${result.stderr}`);
  }
  return progressOf(result.stdout, result.signal === "SIGKILL");
}

describe("kill -9 at every crash point keeps exactly a committed version", () => {
  it("named crash points of commit, each commit in turn", async () => {
    const versions = await expectedVersions(COMMITS);
    let states = 0;
    for (const point of POINTS) {
      for (let nth = 1; nth <= COMMITS; nth++) {
        const { path, stateDir, hash } = freshFile();
        const outcome = runChild(path, stateDir, `${point}:${nth}`);
        const text = await checkRecovery(path, stateDir, versions, outcome, hash);
        // Fewer commits than nth reached this point (commits with nothing to write reach none).
        if (!outcome.killed) {
          expect(nth).toBeGreaterThan(1);
          break;
        }
        // After the slot is synced the commit in flight is in; before the slot is written it is
        // not. (The n-th time a point is reached is not always commit n: a commit with nothing
        // to write reaches no point.)
        const inFlight = outcome.started;
        if (point === "commit:after-slot-sync") expect(text).toBe(versions[inFlight]);
        if (point.startsWith("commit:before") || point.includes("add-sync") || point.includes("meta")) {
          expect(text).toBe(versions[inFlight - 1]);
        }
        states++;
      }
    }
    console.log(`tier 1: ${states} named crash points checked`);
  }, 300_000);

  it("a crash before each I/O operation in turn, until a run completes", async () => {
    const versions = await expectedVersions(COMMITS);
    let n = 1;
    for (; n < 500; n++) {
      const { path, stateDir, hash } = freshFile();
      const outcome = runChild(path, stateDir, `io:${n}`);
      await checkRecovery(path, stateDir, versions, outcome, hash);
      if (!outcome.killed) break;
    }
    expect(n).toBeLessThan(500);
    console.log(`tier 1: crashed before each of ${n - 1} I/O operations`);
  }, 300_000);

  it("random-time SIGKILL of a child editing and committing in a loop", async () => {
    const commits = 30;
    const versions = await expectedVersions(commits);
    const rounds = Number(process.env.GIGAPAD_CRASH_KILLS ?? 8);
    let seed = 99;
    let killedMidway = 0;
    for (let round = 0; round < rounds; round++) {
      const { path, stateDir, hash } = freshFile();
      const proc = spawn(process.execPath, [child, path, stateDir, String(commits)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let stdout = "";
      seed = (seed * 48271) % 2147483647;
      const delay = seed % 40;
      let timer: NodeJS.Timeout | undefined;
      proc.stdout.on("data", (chunk) => {
        stdout += chunk;
        // Kill at a random moment once the child is editing.
        if (!timer && stdout.includes("started")) timer = setTimeout(() => proc.kill("SIGKILL"), delay);
      });
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        proc.on("exit", (_code, sig) => resolve(sig)),
      );
      clearTimeout(timer);
      const outcome = progressOf(stdout, signal === "SIGKILL");
      if (outcome.killed && outcome.acked < commits) killedMidway++;
      await checkRecovery(path, stateDir, versions, outcome, hash);
    }
    expect(killedMidway).toBeGreaterThan(0);
    console.log(`tier 1: ${rounds} random kills, ${killedMidway} in the middle of the workload`);
  }, 300_000);
});
