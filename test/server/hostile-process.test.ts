/**
 * Issue #16, the findings that need a process of their own: `gigapad serve` (the real command)
 * under a catastrophic regex and a stop signal, its memory under four big pastes, and the
 * native addon when a worker thread running a scan is terminated. Loopback only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { open } from "../../piece-table/index.js";
import { editMessages } from "../../protocol/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { Client, login } from "./hostile-helpers.js";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const tempDir = useTempDirs();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Serving {
  child: ChildProcess;
  url: string;
  origin: string;
  exited: Promise<number | null>;
  output: () => string;
}

/** Runs `gigapad serve FILE` and waits for its URL. */
function serveFile(file: string, stateDir: string): Promise<Serving> {
  const child = spawn(process.execPath, [join(REPO, "cli", "gigapad.mjs"), "serve", file], {
    env: { ...process.env, GIGAPAD_STATE_DIR: stateDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stderr!.on("data", (data) => {
    output += data;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 20_000);
    void exited.then((code) => reject(new Error(`gigapad serve exited with ${code}:\n${output}`)));
    child.stdout!.on("data", (data) => {
      output += data;
      const match = /(http:\/\/\S+\/\?token=\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      const url = match[1]!;
      resolve({ child, url, origin: new URL(url).origin, exited, output: () => output });
    });
  });
}

/** Milliseconds `work` takes; fails after `limit` ms instead of waiting for ever. */
async function timed(work: () => Promise<unknown>, limit = 5000): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${limit} ms`)), limit);
    }),
  ]).finally(() => clearTimeout(timer));
  return performance.now() - started;
}

async function hello(client: Client): Promise<Record<string, unknown>> {
  const reply = await client.request("hello", { protocol: 1 });
  if (!reply.ok) throw new Error(reply.error.message);
  return reply.result;
}

/** A field of a process's /proc status (Linux), in bytes: VmHWM (peak RSS), RssAnon... */
function memory(pid: number, field: "VmHWM" | "RssAnon"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
}

describe("finding 2: a catastrophic regex", () => {
  it("leaves the server answering within 100 ms, and SIGTERM ends it within 2 s with the acknowledged edit committed", async () => {
    const dir = tempDir();
    const file = join(dir, "a.log");
    // (a+)+$ fails on this line only after trying every way to split the a's: for ever.
    writeFileSync(file, `first\n${"a".repeat(4096)}!\nlast\n`);
    const stateDir = join(dir, "state");
    const served = await serveFile(file, stateDir);
    const cookie = await login(served.url);
    const editor = await Client.open(served.origin, cookie);
    await hello(editor);
    const edit = await editor.request("edit", {
      baseVersion: 0,
      edits: [{ start: 0, end: 0, text: "EDITED " }],
    });
    expect(edit.ok).toBe(true);
    let counted = false;
    void editor.request("count", { searchId: 1, query: { pattern: "(a+)+$", regex: true } }).then(() => {
      counted = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Another client: a handshake and a reply, and a page, each within 100 ms.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      latencies.push(
        await timed(async () => {
          const other = await Client.open(served.origin, cookie);
          await hello(other);
          other.close();
        }),
      );
      latencies.push(
        await timed(() => fetch(`${served.origin}/`, { headers: { cookie } }).then((r) => r.text())),
      );
    }
    expect(counted).toBe(false); // still backtracking
    latencies.sort((a, b) => a - b);
    const median = latencies[latencies.length >> 1]!;
    console.log(
      `answers during a catastrophic regex: median ${median.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    // Within 100 ms; the slowest of ten gets slack for a loaded two-core machine (was: never).
    expect(median).toBeLessThan(100);
    expect(latencies.at(-1)!).toBeLessThan(500);
    const stopping = performance.now();
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    const stopMs = performance.now() - stopping;
    console.log(`SIGTERM during a catastrophic regex: exited in ${stopMs.toFixed(0)} ms`);
    expect(stopMs).toBeLessThan(2000);
    const doc = await open(file, { stateDir });
    try {
      expect(doc.read(0, 13).toString()).toBe("EDITED first\n");
    } finally {
      await doc.close();
    }
  }, 30_000);
});

describe("finding 6: memory under four big pastes", () => {
  const PASTE_BYTES = 50 * 1000 * 1000;
  /** What the server's peak RSS may grow by while four clients paste 50 MB each. */
  const GROWTH_BOUND = 320 * 1024 * 1024;
  /** Its anonymous memory (heap, buffers: not the mapped add buffer) at most. */
  const ANON_BOUND = 192 * 1024 * 1024;

  it("keeps the server's resident memory bounded, and answers a fifth client meanwhile", async () => {
    const dir = tempDir();
    const file = join(dir, "doc.log");
    writeFileSync(file, "start\n");
    const served = await serveFile(file, join(dir, "state"));
    const cookie = await login(served.url);
    const watcher = await Client.open(served.origin, cookie);
    await hello(watcher);
    const before = memory(served.child.pid!, "VmHWM");
    let anon = 0;
    const sampler = setInterval(() => {
      anon = Math.max(anon, memory(served.child.pid!, "RssAnon"));
    }, 10);
    const line = "2026-12-04T06:00:00Z INFO request served in 12 ms from 127.0.0.1 path=/a/b/c\n";
    const paste = line.repeat(Math.ceil(PASTE_BYTES / line.length)).slice(0, PASTE_BYTES);
    const pasters = await Promise.all([1, 2, 3, 4].map(() => Client.open(served.origin, cookie)));
    for (const client of pasters) await hello(client);
    // Each pastes as the page does: consecutive pieces, pipelined against the version it expects
    // (with four at once most go stale, as in four tabs; every one is answered).
    let accepted = 0;
    const pasting = pasters.map(async (client) => {
      let version = 0;
      const replies = editMessages([{ start: 0, end: 0, text: paste }]).map(async (edits) => {
        const reply = await client.request("edit", { baseVersion: version++, edits });
        if (reply.ok) accepted += edits[0]!.text.length;
        else expect(reply.error.code).toBe("ESTALE");
      });
      await Promise.all(replies);
    });
    let slowest = 0;
    let done = false;
    const watching = (async () => {
      while (!done) {
        slowest = Math.max(slowest, await timed(() => hello(watcher), 20_000));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await Promise.all(pasting);
    done = true;
    await watching;
    const info = await hello(watcher);
    expect(info.length).toBe(6 + accepted);
    clearInterval(sampler);
    const growth = memory(served.child.pid!, "VmHWM") - before;
    console.log(
      `four 50 MB pastes: peak RSS grew by ${(growth / 2 ** 20).toFixed(0)} MiB, anonymous RSS at most ` +
        `${(anon / 2 ** 20).toFixed(0)} MiB; a fifth client's slowest reply ${slowest.toFixed(0)} ms; ` +
        `${(accepted / 1e6).toFixed(0)} MB landed`,
    );
    expect(growth).toBeLessThan(GROWTH_BOUND);
    expect(anon).toBeLessThan(ANON_BOUND);
    expect(slowest).toBeLessThan(1000);
    for (const client of [...pasters, watcher]) client.close();
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
  }, 60_000);
});

describe("native scans and worker threads", () => {
  it("terminating a worker while it runs a native scan does not abort the process", async () => {
    const dir = tempDir();
    const file = join(dir, "big.bin");
    writeFileSync(file, "");
    truncateSync(file, 4 * 1024 * 1024 * 1024); // sparse: 4 GiB of zeros, no disk
    // Two ways in: a native scan job straight from the addon (its promise settles while the
    // worker's environment is torn down), and the engine's countMatches (JS calls the addon
    // while termination is under way).
    const script = `
      import { Worker } from "node:worker_threads";
      const bodies = {
        native: \`
          import("node:worker_threads").then(async ({ parentPort, workerData }) => {
            const { openMappedFile } = await import(workerData.dist + "native/index.js");
            const file = openMappedFile(workerData.file);
            const job = file.startFind(Buffer.from("needle"), 0, file.size);
            parentPort.postMessage("scanning");
            await job.promise;
          });\`,
        engine: \`
          import("node:worker_threads").then(async ({ parentPort, workerData }) => {
            const { open } = await import(workerData.dist + "piece-table/index.js");
            const doc = await open(workerData.file, { stateDir: workerData.stateDir, readOnly: true });
            const counting = doc.countMatches("needle");
            parentPort.postMessage("scanning");
            await counting;
          });\`,
      };
      const workerData = {
        dist: new URL("dist/", "file://${REPO}/").href,
        file: ${JSON.stringify(file)},
        stateDir: ${JSON.stringify(join(dir, "state"))},
      };
      for (const [way, delay] of [["native", 30], ["native", 110], ["engine", 30], ["engine", 70], ["engine", 110]]) {
        const worker = new Worker(bodies[way], { eval: true, workerData });
        await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
        await new Promise((resolve) => setTimeout(resolve, delay));
        await worker.terminate();
      }
      console.log("alive");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
    children.push(child);
    let output = "";
    child.stdout.on("data", (data) => {
      output += data;
    });
    child.stderr.on("data", (data) => {
      output += data;
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(output).not.toContain("terminate called");
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: "alive" });
  }, 90_000);
});
