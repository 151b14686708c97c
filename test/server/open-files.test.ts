/**
 * gigapad serve's other files (Ctrl+O): the folder listing and opening are confined to the tree
 * (FILE's folder or --root), as Save As is; each file is its own document, routed by `?file=`,
 * behind the same cookie, Host and Origin checks; a file closes (committing) once its last
 * socket has gone.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { HostedDocument } from "../../host/hosted-document.js";
import { MAX_MESSAGE_BYTES } from "../../protocol/index.js";
import { type RunningServer, serve } from "../../server/serve.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Tree {
  dir: string;
  root: string;
  state: string;
  server: RunningServer;
  cookie: string;
}

/**
 * root/ main.log other.log sub/deep.txt in-link(→other.log) out-link(→../outside.txt)
 * out-dir(→../elsewhere/) fifo-like folder; outside.txt and elsewhere/ beside root.
 */
async function tree(
  options: { readOnly?: boolean; idleCloseMs?: number; maxSockets?: number; root?: "." } = {},
): Promise<Tree> {
  const dir = tempDir();
  const assets = join(dir, "assets");
  mkdirSync(assets);
  writeFileSync(join(assets, "index.html"), `<div id="editor"><!--gigapad:first-screen--></div>`);
  const root = join(dir, "root");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(dir, "elsewhere"));
  writeFileSync(join(root, "main.log"), "main first\nmain second\n");
  writeFileSync(join(root, "other.log"), "other first\nother second\n");
  writeFileSync(join(root, "sub", "deep.txt"), "deep\n");
  writeFileSync(join(dir, "outside.txt"), "secret\n");
  writeFileSync(join(dir, "elsewhere", "far.txt"), "far\n");
  symlinkSync(join(root, "other.log"), join(root, "in-link"));
  symlinkSync(join(dir, "outside.txt"), join(root, "out-link"));
  symlinkSync(join(dir, "elsewhere"), join(root, "out-dir"));
  symlinkSync(join(root, "nothing"), join(root, "dangling"));
  const state = join(dir, "state");
  const main = await HostedDocument.open(join(root, "main.log"), {
    stateDir: state,
    readOnly: options.readOnly ?? false,
  });
  const server = await serve(main, {
    assets,
    log: () => {},
    ...(options.idleCloseMs !== undefined ? { idleCloseMs: options.idleCloseMs } : {}),
    ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
    ...(options.root ? { root: dir } : {}),
  });
  cleanups.push(async () => {
    await server.close();
    await main.close();
  });
  const login = await fetch(server.url, { redirect: "manual" });
  expect(login.status).toBe(302);
  return { dir, root, state, server, cookie: login.headers.get("set-cookie")!.split(";")[0]! };
}

async function get(t: Tree, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${t.server.origin}${path}`, { headers: { cookie: t.cookie } });
  return { status: response.status, body: await response.text() };
}

async function getJson(t: Tree, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { status, body } = await get(t, path);
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}

function connect(t: Tree, file: string | null, origin = t.server.origin): Promise<WebSocket> {
  const query = file === null ? "" : `?file=${encodeURIComponent(file)}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${t.server.origin.replace("http", "ws")}/ws${query}`, {
      headers: { cookie: t.cookie, origin },
    });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
}

let nextId = 1;
function request(socket: WebSocket, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  const id = nextId++;
  return new Promise((resolve) => {
    const listener = (data: WebSocket.RawData) => {
      const reply = JSON.parse(data.toString()) as Record<string, unknown>;
      if (reply.id !== id) return; // events may come between
      socket.off("message", listener);
      resolve(reply);
    };
    socket.on("message", listener);
    socket.send(JSON.stringify({ id, ...message }));
  });
}

function closed(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    socket.once("close", () => resolve());
    socket.close();
  });
}

interface Entry {
  name: string;
  path: string;
  kind: string;
  size: number | null;
  modified: number | null;
  error: string | null;
}

describe("gigapad serve: opening the tree's other files", () => {
  it("lists the page's folder with sizes and times, folders first; links leading out are marked, not followed", async () => {
    const t = await tree();
    const { status, body } = await getJson(t, "/files?near=");
    expect(status).toBe(200);
    expect(body.dir).toBe("");
    expect(body.parent).toBeNull();
    const entries = body.entries as Entry[];
    // A link leading out says nothing of its target, not even that it is a folder.
    expect(entries.map((entry) => entry.name)).toEqual([
      "sub",
      "dangling",
      "in-link",
      "main.log",
      "other.log",
      "out-dir",
      "out-link",
    ]);
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    expect(byName.get("sub")).toMatchObject({ kind: "folder", path: "sub", error: null });
    expect(byName.get("other.log")).toMatchObject({ kind: "file", size: 25, error: null });
    expect(Math.abs(byName.get("other.log")!.modified! - Date.now())).toBeLessThan(60_000);
    expect(byName.get("in-link")).toMatchObject({ kind: "file", size: 25, error: null });
    expect(byName.get("out-link")!.error).toMatch(/outside/);
    expect(byName.get("out-link")!.size).toBeNull(); // nothing about the target is told
    expect(byName.get("out-dir")!.error).toMatch(/outside/);
    expect(byName.get("dangling")!.error).toMatch(/does not exist/);

    const sub = await getJson(t, "/files?dir=sub");
    expect(sub.body).toMatchObject({ dir: "sub", parent: "" });
    expect((sub.body.entries as Entry[]).map((entry) => entry.path)).toEqual(["sub/deep.txt"]);
    // A page in sub/ starts the list there.
    await expect(getJson(t, "/files?near=sub%2Fdeep.txt")).resolves.toMatchObject({ body: { dir: "sub" } });
  });

  it("refuses to list or open anything outside the tree: ../, absolute paths, links leading out", async () => {
    const t = await tree();
    for (const dir of ["..", "../elsewhere", "sub/../..", t.dir, "/etc", "out-dir"]) {
      const { status, body } = await getJson(t, `/files?dir=${encodeURIComponent(dir)}`);
      expect(status, dir).toBe(403);
      expect(body.error, dir).toMatchObject({ code: "EOUTSIDE" });
      expect(JSON.stringify(body), dir).not.toContain("far.txt");
    }
    for (const file of [
      "../outside.txt",
      join(t.dir, "outside.txt"),
      "out-link",
      "out-dir/far.txt",
      "/etc/passwd",
    ]) {
      const opened = await getJson(t, `/files/open?file=${encodeURIComponent(file)}`);
      expect(opened.status, file).toBe(403);
      expect(opened.body.error, file).toMatchObject({ code: "EOUTSIDE" });
      const page = await get(t, `/?file=${encodeURIComponent(file)}`);
      expect(page.status, file).toBe(403);
      expect(page.body).not.toContain("secret");
      await expect(connect(t, file), file).rejects.toThrow("403");
    }
    expect(t.server.openFiles()).toEqual([]);
    // Not a file, or not there: said so, nothing opened.
    await expect(getJson(t, "/files/open?file=sub")).resolves.toMatchObject({
      status: 400,
      body: { error: { code: "EISDIR" } },
    });
    await expect(getJson(t, "/files/open?file=missing.log")).resolves.toMatchObject({
      status: 404,
      body: { error: { code: "ENOENT" } },
    });
    await expect(getJson(t, "/files/open?file=dangling")).resolves.toMatchObject({ status: 404 });
    // The listing and opening need the cookie, as every page does.
    expect((await fetch(`${t.server.origin}/files?dir=`)).status).toBe(401);
    expect((await fetch(`${t.server.origin}/files/open?file=other.log`)).status).toBe(401);
    expect(
      (
        await fetch(`${t.server.origin}/files/open?file=other.log`, {
          headers: { cookie: `${t.server.cookieName}=x` },
        })
      ).status,
    ).toBe(403);
    expect(t.server.openFiles()).toEqual([]);
  });

  it("opens a binary file like any other (it is not refused for its bytes)", async () => {
    const t = await tree();
    writeFileSync(join(t.root, "blob.bin"), Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0x80, 0]));
    const entries = (await getJson(t, "/files?dir=")).body.entries as Entry[];
    expect(entries.find((entry) => entry.name === "blob.bin")).toMatchObject({ size: 8, error: null });
    await expect(getJson(t, "/files/open?file=blob.bin")).resolves.toMatchObject({
      status: 200,
      body: { name: "blob.bin" },
    });
    const socket = await connect(t, "blob.bin");
    await expect(request(socket, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      result: { name: "blob.bin", length: 8 },
    });
    await closed(socket);
  });

  it("says in the list that a file cannot be opened (a pipe; unreadable), and refuses to open it", async () => {
    const t = await tree();
    execFileSync("mkfifo", [join(t.root, "pipe")]);
    const listed = (await getJson(t, "/files?dir=")).body.entries as Entry[];
    expect(listed.find((entry) => entry.name === "pipe")!.error).toMatch(/not a regular file/);
    await expect(getJson(t, "/files/open?file=pipe")).resolves.toMatchObject({
      status: 400,
      body: { error: { code: "EISDIR" } },
    });
    expect(t.server.openFiles()).toEqual([]);
    if (process.getuid?.() === 0) return; // root reads whatever the mode says
    writeFileSync(join(t.root, "locked.txt"), "no\n");
    chmodSync(join(t.root, "locked.txt"), 0o000);
    const entries = (await getJson(t, "/files?dir=")).body.entries as Entry[];
    expect(entries.find((entry) => entry.name === "locked.txt")!.error).toMatch(/permission denied/);
    await expect(getJson(t, "/files/open?file=locked.txt")).resolves.toMatchObject({
      status: 403,
      body: { error: { code: "EACCES" } },
    });
  });

  it("routes two documents on one server with one cookie: pages, first screens, sockets, saves", async () => {
    const t = await tree();
    const opened = await getJson(t, "/files/open?file=other.log");
    expect(opened).toMatchObject({
      status: 200,
      body: { file: "other.log", url: "/?file=other.log", name: "other.log" },
    });
    // The served file itself is the page at /.
    await expect(getJson(t, "/files/open?file=main.log")).resolves.toMatchObject({ body: { url: "/" } });
    // A link inside the tree opens the file it names.
    await expect(getJson(t, "/files/open?file=in-link")).resolves.toMatchObject({
      body: { file: "other.log" },
    });
    const mainPage = await get(t, "/");
    const otherPage = await get(t, "/?file=other.log");
    expect(mainPage.body).toContain(">main first</div>");
    expect(mainPage.body).not.toContain("other first");
    expect(otherPage.body).toContain(">other first</div>");
    expect(otherPage.body).not.toContain("main first");

    const main = await connect(t, null);
    const other = await connect(t, "other.log");
    await expect(request(main, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      ok: true,
      result: { name: "main.log" },
    });
    await expect(request(other, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      ok: true,
      result: { name: "other.log", readOnly: false },
    });
    expect(t.server.openFiles()).toEqual([join(t.root, "other.log")]);
    // Edit and save in the second document: its file changes, the first's does not.
    const edit = await request(other, {
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 5, text: "OTHER" }],
    });
    expect(edit).toMatchObject({ ok: true });
    await expect(request(other, { type: "save" })).resolves.toMatchObject({ ok: true });
    expect(readFileSync(join(t.root, "other.log"), "utf8")).toBe("OTHER first\nother second\n");
    expect(readFileSync(join(t.root, "main.log"), "utf8")).toBe("main first\nmain second\n");
    // A second socket for the same file shares its document (the edit is there).
    const again = await connect(t, "in-link");
    await expect(request(again, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      result: { name: "other.log", version: 1 },
    });
    expect((await get(t, "/?file=other.log")).body).toContain(">OTHER first</div>");
    // The page's own origin only, for every document.
    await expect(connect(t, "other.log", "http://evil.example")).rejects.toThrow("403");
    // Listing does not open files.
    await getJson(t, "/files?near=sub%2Fdeep.txt");
    expect(t.server.openFiles()).toEqual([join(t.root, "other.log")]);
    for (const socket of [main, other, again]) await closed(socket);
  });

  it("finds a document where Save As moved it; its old name opens the file on disk", async () => {
    const t = await tree();
    const other = await connect(t, "other.log");
    await request(other, { type: "hello", protocol: 1 });
    await request(other, { type: "edit", baseVersion: 0, edits: [{ start: 0, end: 0, text: "moved " }] });
    await expect(request(other, { type: "saveAs", path: "sub/moved.log" })).resolves.toMatchObject({
      ok: true,
    });
    // The page asks where its document is now (by the path the saved event names).
    await expect(
      getJson(t, `/files/open?file=${encodeURIComponent(join(t.root, "sub", "moved.log"))}`),
    ).resolves.toMatchObject({ body: { file: "sub/moved.log", url: "/?file=sub%2Fmoved.log" } });
    const again = await connect(t, "sub/moved.log");
    await expect(request(again, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      result: { name: "moved.log", version: 1 },
    });
    expect(t.server.openFiles()).toEqual([join(t.root, "sub", "moved.log")]);
    // other.log on disk is untouched and opens as a document of its own.
    expect((await get(t, "/?file=other.log")).body).toContain(">other first</div>");
    expect(t.server.openFiles()).toHaveLength(2);
    // Save As stays in the tree for these documents too.
    await expect(request(again, { type: "saveAs", path: "../../escaped.log" })).resolves.toMatchObject({
      ok: false,
      error: { code: "EOUTSIDE" },
    });
    await closed(other);
    await closed(again);
  });

  it("counts every document's sockets against one cap, and caps every document's messages", async () => {
    const t = await tree({ maxSockets: 2 });
    const a = await connect(t, null);
    const b = await connect(t, "other.log");
    await expect(connect(t, "sub/deep.txt")).rejects.toThrow("503");
    // A message over the limit closes that socket (1009), nothing else.
    const code = await new Promise<number>((resolve) => {
      b.once("close", (closeCode) => resolve(closeCode));
      b.send("x".repeat(MAX_MESSAGE_BYTES + 1));
    });
    expect(code).toBe(1009);
    await expect(request(a, { type: "hello", protocol: 1 })).resolves.toMatchObject({ ok: true });
    await closed(a);
  });

  it("confines to --root when given: FILE's folder below it lists first, up to the root and no further", async () => {
    const t = await tree({ root: "." });
    expect(t.server.root).toBe(t.dir);
    await expect(getJson(t, "/files?near=")).resolves.toMatchObject({ body: { dir: "root", parent: "" } });
    const top = (await getJson(t, "/files?dir=")).body;
    expect(top.parent).toBeNull();
    expect((top.entries as Entry[]).map((entry) => entry.name)).toEqual(
      expect.arrayContaining(["elsewhere", "root", "outside.txt"]),
    );
    // Inside this tree, what led out of root/ before is in: the link opens the file it names.
    await expect(getJson(t, "/files/open?file=root%2Fout-link")).resolves.toMatchObject({
      body: { file: "outside.txt" },
    });
    await expect(getJson(t, "/files?dir=..")).resolves.toMatchObject({ status: 403 });
  });

  it("closes a document once its last socket has gone, committing its edits first; it opens again", async () => {
    const t = await tree({ idleCloseMs: 150 });
    const first = await connect(t, "other.log");
    const second = await connect(t, "other.log");
    await request(first, { type: "hello", protocol: 1 });
    const edit = await request(first, {
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 0, text: "typed " }],
    });
    expect(edit).toMatchObject({ ok: true });
    await closed(first);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // One socket still uses it: open.
    expect(t.server.openFiles()).toEqual([join(t.root, "other.log")]);
    await closed(second);
    await expect.poll(() => t.server.openFiles(), { timeout: 5000 }).toEqual([]);
    // Closed for real: its session is free, and holds the edit (the file itself is untouched).
    expect(readFileSync(join(t.root, "other.log"), "utf8")).toBe("other first\nother second\n");
    const reopened = await HostedDocument.open(join(t.root, "other.log"), { stateDir: t.state });
    try {
      expect(reopened.info()).toMatchObject({ readOnly: false, modified: true });
      expect(reopened.info().recovered).toMatch(/Restored 1 unsaved edit/);
    } finally {
      await reopened.close();
    }
    // A file asked for but never connected to goes as well.
    await expect(getJson(t, "/files/open?file=sub%2Fdeep.txt")).resolves.toMatchObject({ status: 200 });
    expect(t.server.openFiles()).toEqual([join(t.root, "sub", "deep.txt")]);
    await expect.poll(() => t.server.openFiles(), { timeout: 5000 }).toEqual([]);
    // And a page opens it again, edit included.
    expect((await get(t, "/?file=other.log")).body).toContain(">typed other first</div>");
    const third = await connect(t, "other.log");
    await expect(request(third, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      result: { modified: true },
    });
    await closed(third);
  });

  it("opens every file read-only when the server's file is (--read-only)", async () => {
    const t = await tree({ readOnly: true });
    const other = await connect(t, "other.log");
    await expect(request(other, { type: "hello", protocol: 1 })).resolves.toMatchObject({
      result: { name: "other.log", readOnly: true },
    });
    const edit = await request(other, {
      type: "edit",
      baseVersion: 0,
      edits: [{ start: 0, end: 1, text: "X" }],
    });
    expect(edit).toMatchObject({ ok: false });
    await closed(other);
  });

  it("closes the files pages opened when the server closes", async () => {
    const t = await tree();
    const other = await connect(t, "other.log");
    await request(other, { type: "hello", protocol: 1 });
    expect(t.server.openFiles()).toHaveLength(1);
    await t.server.close();
    // Its session lock is gone: another editor may open it for editing.
    const after = await HostedDocument.open(join(t.root, "other.log"), { stateDir: t.state });
    try {
      expect(after.info().readOnly).toBe(false);
    } finally {
      await after.close();
    }
  });
});
