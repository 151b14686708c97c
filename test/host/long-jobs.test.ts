/**
 * Issue #16, finding 2, in the engine host: a regex that backtracks for ever runs off the main
 * thread, stops the moment it is cancelled (its worker is terminated), never holds up closing,
 * and what was typed before it started is committed first.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { regexWorkerCount } from "../../piece-table/regex-pool.js";
import { FakeChannel } from "../helpers/fake-channel.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const opened: HostedDocument[] = [];
afterEach(async () => {
  for (const host of opened.splice(0)) await host.close().catch(() => {});
});

/** (a+)+$ fails on this line only after trying every way to split its a's: for ever. */
const CATASTROPHIC = { pattern: "(a+)+$", regex: true };

async function hostFor() {
  const dir = tempDir();
  const path = join(dir, "doc.log");
  writeFileSync(path, `first\n${"a".repeat(4096)}!\nlast\n`);
  // Autosave would wait a minute: whatever commits sooner is the long job's doing.
  const host = await HostedDocument.open(path, {
    stateDir: join(dir, "state"),
    autosave: { quietMs: 60_000, maxDelayMs: 60_000 },
    findInRangeMs: 1000,
  });
  opened.push(host);
  await host.doc.whenIndexed();
  return { host, ui: new FakeChannel(host) };
}

/** The longest the main thread went without running a timer while `ms` passed. */
async function longestStall(ms: number): Promise<number> {
  let longest = 0;
  let last = performance.now();
  const end = last + ms;
  while (performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }
  return longest;
}

describe("a catastrophic regex in the engine host", () => {
  it("runs off the main thread and stops at once when cancelled", async () => {
    const { ui } = await hostFor();
    const counting = ui.request("count", { searchId: 1, query: CATASTROPHIC });
    const failed = counting.catch((error: { code?: string }) => error.code);
    // The main thread keeps running timers while the pattern backtracks.
    expect(await longestStall(300)).toBeLessThan(100);
    expect(regexWorkerCount()).toBeGreaterThan(0);
    const cancelled = performance.now();
    await ui.request("cancelCount", { searchId: 1 });
    expect(await failed).toBe("EABORTED");
    expect(performance.now() - cancelled).toBeLessThan(100);
    // A cancelled search's worker is gone; the next search gets a fresh one and works.
    expect(await ui.request("count", { searchId: 2, query: { pattern: "^a+!$", regex: true } })).toEqual({
      count: 1,
    });
  });

  it("commits what was typed before the search starts", async () => {
    const { host, ui } = await hostFor();
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "typed " }] });
    expect(host.doc.allEditsSafe).toBe(false);
    const counting = ui.request("count", { searchId: 1, query: CATASTROPHIC }).catch(() => {});
    const deadline = Date.now() + 2000;
    while (!host.doc.allEditsSafe && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(host.doc.allEditsSafe).toBe(true);
    await ui.request("cancelCount", { searchId: 1 });
    await counting;
  });

  it("a replace-all that backtracks for ever does not hold up closing, and the edits before it are kept", async () => {
    const { host, ui } = await hostFor();
    await ui.request("edit", { baseVersion: 0, edits: [{ start: 0, end: 0, text: "typed " }] });
    const replacing = ui
      .request("replaceAll", { baseVersion: 1, query: CATASTROPHIC, replacement: "x" })
      .catch((error: { code?: string }) => error.code);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = performance.now();
    await host.close();
    expect(performance.now() - closing).toBeLessThan(500);
    expect(await replacing).toBe("EABORTED");
    const again = await HostedDocument.open(host.doc.path, { stateDir: join(host.doc.path, "..", "state") });
    opened.push(again);
    expect(again.doc.read(0, 12).toString()).toBe("typed first\n");
  });

  it("a find in view gives up after its time limit instead of holding a worker", async () => {
    const { ui } = await hostFor();
    const started = performance.now();
    const finding = ui.request("findInRange", {
      query: CATASTROPHIC,
      start: 0,
      end: 5000,
      limit: 10,
    });
    await expect(finding).rejects.toMatchObject({ code: "ETIMEDOUT" });
    expect(performance.now() - started).toBeGreaterThan(900);
  });
});
