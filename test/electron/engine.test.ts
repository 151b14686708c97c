import { fork, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { EngineClient, type EngineProcessLike } from "../../electron/engine-client.js";
import { runEngineCommand } from "../../electron/engine-commands.js";
import { EngineHost } from "../../host/engine-host.js";
import type { PortLike } from "../../host/port-channel.js";
import type { HostMessage, Reply, Request } from "../../protocol/index.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The engine process, in this process: commands structured-cloned, ports handed over. */
function inProcessEngine(engine: EngineHost): EngineProcessLike {
  const events = new EventEmitter();
  return {
    postMessage(message, transfer = []) {
      const command = structuredClone(message) as Parameters<typeof runEngineCommand>[1];
      void runEngineCommand(engine, command, transfer as PortLike[]).then((reply) =>
        events.emit("message", reply),
      );
    },
    on(event: string, listener: (...args: never[]) => void) {
      events.on(event, listener as unknown as (...args: unknown[]) => void);
      return this;
    },
    kill() {
      events.emit("exit", 1);
      return true;
    },
  };
}

/** A window's end of its port: numbered protocol requests, replies by id. */
function windowSide(port: MessagePort) {
  let nextId = 1;
  const waiting = new Map<number, (reply: Reply) => void>();
  const events: HostMessage[] = [];
  port.on("message", (message: HostMessage) => {
    if ("id" in message) waiting.get(message.id)?.(message);
    else events.push(message);
  });
  return {
    events,
    request(request: Omit<Request, "id">): Promise<Reply> {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        port.postMessage({ ...request, id });
      });
    },
  };
}

function setup() {
  const dir = tempDir();
  const path = join(dir, "app.log");
  writeFileSync(path, "first line\nsecond line\n");
  const engine = new EngineHost({ stateDir: join(dir, "state"), autosave: { quietMs: 10, maxDelayMs: 50 } });
  const client = new EngineClient(inProcessEngine(engine));
  cleanups.push(() => engine.closeAll());
  const openWindow = async (file = path) => {
    const { port1, port2 } = new MessageChannel();
    cleanups.push(() => {
      port2.close();
    });
    const reply = await client.send({ type: "open", path: file }, [port1]);
    return { reply, window: windowSide(port2), port: port2 };
  };
  return { dir, path, engine, client, openWindow };
}

describe("desktop: main process ↔ engine process ↔ windows, over MessagePorts", () => {
  it("opens a document for a window, which then talks the protocol on its port", async () => {
    const { openWindow, path } = setup();
    const { reply, window } = await openWindow();
    expect(reply).toMatchObject({
      type: "opened",
      path,
      name: "app.log",
      recovered: null,
      readOnlyReason: null,
    });
    const hello = await window.request({ type: "hello", protocol: 1 } as Omit<Request, "id">);
    expect(hello).toMatchObject({ ok: true, result: { length: 23, name: "app.log" } });
    const edit = await window.request({
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 5, text: "FIRST" }],
    } as Omit<Request, "id">);
    expect(edit).toMatchObject({ ok: true, result: { version: 1 } });
  });

  it("shares one document between two windows of the same file; the last to close commits it", async () => {
    const { openWindow, client, path, dir } = setup();
    const a = await openWindow();
    const b = await openWindow(join(dir, ".", "app.log"));
    await a.window.request({
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 0, text: "A:" }],
    } as Omit<Request, "id">);
    const seen = await b.window.request({ type: "readText", start: 0, end: 7 } as Omit<Request, "id">);
    expect(seen).toMatchObject({ ok: true, result: { text: "A:first" } });
    expect(await client.send({ type: "release", path, discard: false })).toMatchObject({ type: "done" });
    a.port.close();
    // B still edits.
    const edit = await b.window.request({
      type: "edit",
      baseVersion: 1,
      edits: [{ start: 0, end: 0, text: "B:" }],
    } as Omit<Request, "id">);
    expect(edit).toMatchObject({ ok: true });
    expect(await client.send({ type: "save", path })).toMatchObject({ type: "done" });
    expect(readFileSync(path, "utf8")).toBe("B:A:first line\nsecond line\n");
    await expect
      .poll(() => b.window.events.some((event) => "event" in event && event.event === "saved"))
      .toBe(true);
  });

  it("Don't Save drops the session: the next open shows the file as on disk", async () => {
    const { openWindow, client, path, dir, engine } = setup();
    const { window, port } = await openWindow();
    await window.request({
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 0, text: "unsaved " }],
    } as Omit<Request, "id">);
    await window.request({ type: "commit" } as Omit<Request, "id">);
    expect(await client.send({ type: "release", path, discard: true })).toMatchObject({ type: "done" });
    // Nothing goes until the window's port closes (after what the page sent before it).
    expect(engine.openPaths).toHaveLength(1);
    port.close();
    await expect.poll(() => engine.openPaths).toEqual([]);
    const again = new EngineHost({ stateDir: join(dir, "state") });
    const document = await again.open(path);
    expect(document.doc.getText()).toBe("first line\nsecond line\n");
    expect(document.info().recovered).toBeNull();
    await again.closeAll();
  });

  it("keeps every edit the page sent when its window closes without saving (hot exit), and says so on reopen", async () => {
    const { openWindow, client, path, dir, engine } = setup();
    const { window, port } = await openWindow();
    await window.request({
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 0, text: "kept" }],
    } as Omit<Request, "id">);
    // The last keystroke is still on its way when the window closes: nothing waits for its reply.
    port.postMessage({ id: 99, type: "edit", baseVersion: 1, edits: [{ start: 4, end: 4, text: " " }] });
    expect(await client.send({ type: "release", path, discard: false })).toMatchObject({ type: "done" });
    port.close();
    await expect.poll(() => engine.openPaths).toEqual([]);
    const again = new EngineHost({ stateDir: join(dir, "state") });
    const document = await again.open(path);
    expect(document.doc.getText(0, 5)).toBe("kept ");
    expect(document.info().recovered).toMatch(/^Restored 2 unsaved edits from /);
    await again.closeAll();
  });

  it("says why a file cannot be opened, and closes the window's port", async () => {
    const { openWindow, dir } = setup();
    const { reply, port } = await openWindow(join(dir, "missing.log"));
    expect(reply).toMatchObject({ type: "failed", code: "ENOENT" });
    expect((reply as { message: string }).message).toMatch(/missing\.log/);
    await new Promise<void>((resolve) => {
      port.once("close", () => resolve());
      port.postMessage({ id: 1, type: "hello", protocol: 1 });
    });
  });

  it("reports an engine process that dies: pending and later requests fail, and the app hears of it", async () => {
    const dir = tempDir();
    const child = fork(join(import.meta.dirname, "fixtures", "engine-child.mjs"), {
      env: { ...process.env, GIGAPAD_STATE_DIR: join(dir, "state") },
    });
    const client = new EngineClient({
      postMessage: (message) => child.send(message as never),
      on: (event: string, listener: (...args: never[]) => void) =>
        child.on(event, listener as unknown as (...args: unknown[]) => void),
      kill: () => child.kill(),
    });
    expect(await client.send({ type: "release", path: join(dir, "none"), discard: false })).toMatchObject({
      type: "done",
    });
    const exited = new Promise<number>((resolve) => client.once("exit", resolve));
    const pending = client.send({ type: "release", path: "CRASH", discard: false });
    expect(await pending).toMatchObject({
      type: "failed",
      code: "EENGINEGONE",
      message: expect.stringMatching(/exit code 7/),
    });
    expect(await exited).toBe(7);
    expect(client.running).toBe(false);
    expect(await client.send({ type: "quit" })).toMatchObject({ type: "failed", code: "EENGINEGONE" });
  });

  it("after an engine crash, reopening the file restores every committed edit", async () => {
    const dir = tempDir();
    const path = join(dir, "crash.log");
    writeFileSync(path, "original\n");
    const child = spawn(process.execPath, [
      join(import.meta.dirname, "fixtures", "edit-and-die.mjs"),
      path,
      join(dir, "state"),
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (data) => {
        if (String(data).includes("committed")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`the engine child exited early (${code})`)));
    });
    child.removeAllListeners("exit");
    const killed = new Promise((resolve) => child.on("exit", resolve));
    child.kill("SIGKILL");
    await killed;
    const engine = new EngineHost({ stateDir: join(dir, "state") });
    const document = await engine.open(path);
    expect(document.doc.getText()).toBe("TYPED original\n");
    expect(document.info().recovered).toMatch(/^Restored 1 unsaved edit/);
    await engine.closeAll();
  });
});
