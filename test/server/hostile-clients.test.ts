/**
 * Issue #16: `gigapad serve` survives hostile and careless clients. Each finding of the issue is
 * a test here, on loopback only (127.0.0.1 / ::1), against the real server and engine host.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HostedDocument } from "../../host/hosted-document.js";
import { editMessages, MAX_MESSAGE_BYTES } from "../../protocol/index.js";
import { networkWarning, type RunningServer, type ServeOptions, serve } from "../../server/serve.js";
import { useTempDirs } from "../helpers/temp-dir.js";
import { Client, frame, login, rawGet, rawUpgrade, serverCloseCode } from "./hostile-helpers.js";

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  server: RunningServer;
  host: HostedDocument;
  dir: string;
  path: string;
  logged: string[];
}

async function serving(options: ServeOptions = {}, text = "first line\nsecond line\n"): Promise<Served> {
  const dir = tempDir();
  const assets = join(dir, "assets");
  mkdirSync(assets);
  writeFileSync(join(assets, "index.html"), `<div id="editor"><!--gigapad:first-screen--></div>`);
  const folder = join(dir, "docs");
  mkdirSync(folder);
  const path = join(folder, "doc.log");
  writeFileSync(path, text);
  const host = await HostedDocument.open(path, { stateDir: join(dir, "state"), autosave: false });
  const logged: string[] = [];
  const server = await serve(host, { assets, log: (line) => logged.push(line), ...options });
  cleanups.push(async () => {
    await server.close();
    await host.close();
  });
  return { server, host, dir, path, logged };
}

async function hello(client: Client): Promise<void> {
  const reply = await client.request("hello", { protocol: 1 });
  expect(reply.ok).toBe(true);
}

describe("finding 1: a bad WebSocket frame closes that socket only", () => {
  // Each: a frame the protocol forbids, and the close code RFC 6455 asks for.
  const cases: [string, Buffer, number][] = [
    ["a length over maxPayload", frame({ opcode: 1, declaredLength: MAX_MESSAGE_BYTES + 1 }), 1009],
    [
      "a 360 MiB frame (a 60 MiB NUL paste as one message)",
      frame({ opcode: 1, declaredLength: 360 * 1024 * 1024 }),
      1009,
    ],
    [
      "invalid UTF-8 in a text frame",
      frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }),
      1007,
    ],
    ["RSV1 set without an extension", frame({ opcode: 1, rsv1: true, payload: Buffer.from("{}") }), 1002],
    ["an unmasked client frame", frame({ opcode: 1, masked: false, payload: Buffer.from("{}") }), 1002],
    ["a reserved opcode", frame({ opcode: 3, payload: Buffer.from("x") }), 1002],
    ["close code 999", frame({ opcode: 8, payload: Buffer.from([0x03, 0xe7]) }), 1002],
  ];

  it.each(cases)("%s: closed with the right code, logged once; others carry on", async (_name, bad, code) => {
    const { server, logged } = await serving();
    const cookie = await login(server.url);
    const other = await Client.open(server.origin, cookie);
    await hello(other);
    const raw = await rawUpgrade(server.origin, cookie);
    const closed = serverCloseCode(raw);
    raw.write(bad);
    expect(await closed).toBe(code);
    // The server and the other client carry on.
    await hello(other);
    const again = await Client.open(server.origin, cookie);
    await hello(again);
    expect(logged.filter((line) => line.startsWith("closed the connection"))).toHaveLength(1);
    other.close();
    again.close();
  });

  it("a handshake ws refuses (a bad version) is answered 400 and noted; the server carries on", async () => {
    const { server, logged } = await serving();
    const cookie = await login(server.url);
    const response = await rawGet(server.origin, "/ws", {
      cookie,
      host: new URL(server.origin).host,
      origin: server.origin,
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "12",
    });
    expect(response.status).toBe(400);
    expect(logged.some((line) => line.startsWith("refused a WebSocket handshake"))).toBe(true);
    const client = await Client.open(server.origin, cookie);
    await hello(client);
    client.close();
  });

  it("logs at most a line a second however many sockets misbehave", async () => {
    const { server, logged } = await serving();
    const cookie = await login(server.url);
    for (let i = 0; i < 5; i++) {
      const raw = await rawUpgrade(server.origin, cookie);
      const closed = serverCloseCode(raw);
      raw.write(frame({ opcode: 3 }));
      expect(await closed).toBe(1002);
    }
    expect(logged).toHaveLength(1);
  });
});

describe("finding 1: a 60 MiB paste of NUL bytes", () => {
  it("travels in messages under the limit and lands whole", async () => {
    const { server, host } = await serving();
    const cookie = await login(server.url);
    const client = await Client.open(server.origin, cookie);
    await hello(client);
    const paste = "\0".repeat(60 * 1024 * 1024);
    const messages = editMessages([{ start: 11, end: 11, text: paste }]);
    expect(messages.length).toBeGreaterThan(1);
    let version = 0;
    const replies = messages.map((edits) => {
      const body = JSON.stringify({ id: 0, type: "edit", baseVersion: version, edits });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      return client.request("edit", { baseVersion: version++, edits });
    });
    for (const reply of await Promise.all(replies)) expect(reply).toMatchObject({ ok: true });
    expect(host.doc.length).toBe(23 + paste.length);
    expect(host.doc.read(0, 12).toString()).toBe("first line\n\0");
    expect(host.doc.read(11 + paste.length - 1, 11 + paste.length + 6).toString()).toBe("\0second");
    const nul = host.doc.read(11, 11 + paste.length);
    expect(nul.every((byte) => byte === 0)).toBe(true);
    client.close();
  }, 30_000);
});

describe("finding 3: Save As from a page", () => {
  const cookies = new Map<RunningServer, string>();
  async function saveAs(served: Served, path: string, force = false) {
    const cookie = cookies.get(served.server) ?? (await login(served.server.url));
    cookies.set(served.server, cookie);
    const client = await Client.open(served.server.origin, cookie);
    await hello(client);
    const reply = await client.request("saveAs", { path, force });
    client.close();
    return reply;
  }

  it("resolves a relative path against the file's folder, not the server's cwd", async () => {
    const served = await serving();
    const reply = await saveAs(served, "copy.log");
    expect(reply).toMatchObject({ ok: true, result: { path: join(served.dir, "docs", "copy.log") } });
    expect(readFileSync(join(served.dir, "docs", "copy.log"), "utf8")).toBe("first line\nsecond line\n");
    expect(existsSync(join(process.cwd(), "copy.log"))).toBe(false);
  });

  it("refuses a path outside the folder: ../, absolute, through a symlinked folder", async () => {
    const served = await serving();
    const outside = join(served.dir, "outside");
    mkdirSync(outside);
    symlinkSync(outside, join(served.dir, "docs", "away"));
    for (const path of [
      "../escaped.log",
      join(outside, "abs.log"),
      "away/through.log",
      "/etc/gigapad-test",
    ]) {
      const reply = await saveAs(served, path);
      expect(reply, path).toMatchObject({ ok: false, error: { code: "EOUTSIDE" } });
    }
    expect(existsSync(join(served.dir, "escaped.log"))).toBe(false);
    expect(existsSync(join(outside, "abs.log"))).toBe(false);
    expect(existsSync(join(outside, "through.log"))).toBe(false);
  });

  it("refuses a symlink that leads out, even with force", async () => {
    const served = await serving();
    const victim = join(served.dir, "victim.txt");
    writeFileSync(victim, "keep me");
    symlinkSync(victim, join(served.dir, "docs", "link.log"));
    for (const force of [false, true]) {
      const reply = await saveAs(served, "link.log", force);
      expect(reply).toMatchObject({ ok: false, error: { code: "EOUTSIDE" } });
    }
    expect(readFileSync(victim, "utf8")).toBe("keep me");
  });

  it("replaces another existing file only with force", async () => {
    const served = await serving();
    const other = join(served.dir, "docs", "other.log");
    writeFileSync(other, "other file");
    const refused = await saveAs(served, "other.log");
    expect(refused).toMatchObject({ ok: false, error: { code: "EEXIST" } });
    expect((refused as { error: { message: string } }).error.message).toContain("other.log");
    expect(readFileSync(other, "utf8")).toBe("other file");
    expect(await saveAs(served, "other.log", true)).toMatchObject({ ok: true });
    expect(readFileSync(other, "utf8")).toBe("first line\nsecond line\n");
  });

  it("saves inside a sub-folder, and outside the file's folder when --root allows it", async () => {
    const served = await serving();
    mkdirSync(join(served.dir, "docs", "sub"));
    expect(await saveAs(served, "sub/new.log")).toMatchObject({ ok: true });
    const rooted = await serving({ root: tempDir() });
    // The file's own folder is outside that root now.
    expect(await saveAs(rooted, "again.log")).toMatchObject({ ok: false, error: { code: "EOUTSIDE" } });
    const wide = await serving();
    await wide.server.close();
    const wider = await serve(wide.host, {
      assets: join(wide.dir, "assets"),
      root: wide.dir,
      log: () => {},
    });
    cleanups.push(() => wider.close());
    expect(await saveAs({ ...wide, server: wider }, "../up.log")).toMatchObject({ ok: true });
    expect(readFileSync(join(wide.dir, "up.log"), "utf8")).toBe("first line\nsecond line\n");
  });
});

describe("finding 4: a cookie per server", () => {
  it("two servers on one machine keep their sessions apart", async () => {
    const a = await serving();
    const b = await serving();
    // A browser keeps cookies by host, not by port: both land in one jar.
    const jar = new Map<string, string>();
    for (const served of [a, b]) {
      const [name, value] = (await login(served.server.url)).split("=") as [string, string];
      jar.set(name, value);
    }
    expect(jar.size).toBe(2);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    for (const served of [a, b]) {
      expect((await fetch(`${served.server.origin}/`, { headers: { cookie } })).status).toBe(200);
      const client = await Client.open(served.server.origin, cookie);
      await hello(client);
      client.close();
    }
  });

  it("accepts the URL's token once, and never as the cookie", async () => {
    const { server } = await serving();
    const cookie = await login(server.url);
    expect(cookie).not.toContain(server.token);
    expect((await fetch(server.url, { redirect: "manual" })).status).toBe(403);
    const tokenCookie = `${server.cookieName}=${server.token}`;
    expect((await fetch(`${server.origin}/`, { headers: { cookie: tokenCookie } })).status).toBe(403);
  });
});

describe("finding 5: Host header and the token redirect", () => {
  it("refuses a foreign Host even with a valid cookie (DNS rebinding), page and WebSocket", async () => {
    const { server } = await serving();
    const cookie = await login(server.url);
    const port = new URL(server.origin).port;
    const page = await rawGet(server.origin, "/", { cookie, host: `evil.example:${port}` });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain("gp-first-screen");
    const upgrade = await rawGet(server.origin, "/ws", {
      cookie,
      host: `evil.example:${port}`,
      origin: `http://evil.example:${port}`,
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
    });
    expect(upgrade.status).toBe(403);
    // The names of this machine's loopback are fine.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      expect((await rawGet(server.origin, "/", { cookie, host })).status, host).toBe(200);
    }
  });

  it("redirects the token exchange to / whatever the path", async () => {
    const { server } = await serving();
    const response = await rawGet(server.origin, `/.//evil.example/?token=${server.token}`, {
      host: new URL(server.origin).host,
    });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe("/");
  });
});

describe("finding 6: bounded connections", () => {
  it("refuses sockets beyond the cap with 503, and takes one again once one closes", async () => {
    const { server, logged } = await serving({ maxSockets: 3 });
    const cookie = await login(server.url);
    const clients = await Promise.all([1, 2, 3].map(() => Client.open(server.origin, cookie)));
    await expect(Client.open(server.origin, cookie)).rejects.toThrow("HTTP 503");
    expect(logged.some((line) => line.includes("3 are open already"))).toBe(true);
    clients[0]!.close();
    await clients[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await Client.open(server.origin, cookie);
    await hello(next);
    for (const client of [...clients, next]) client.close();
  });
});

describe("finding 6: bounded heavy requests", () => {
  it("a client that asks for big copies and reads nothing gets no more of them made until it reads", async () => {
    const size = 8 * 1024 * 1024;
    const { server, host } = await serving({}, "x".repeat(size));
    const reads = vi.spyOn(host.doc, "read");
    const cookie = await login(server.url);
    const client = await Client.open(server.origin, cookie);
    await hello(client);
    client.socket.pause(); // reads nothing
    const replies = Array.from({ length: 20 }, () => client.request("readText", { start: 0, end: size }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const bigReads = () =>
      reads.mock.calls.filter(([start, end]) => (end ?? 0) - (start ?? 0) === size).length;
    // The shared budget (24 MiB) lets a few run; the rest wait unread, not in memory.
    expect(bigReads()).toBeGreaterThan(0);
    expect(bigReads()).toBeLessThanOrEqual(4);
    client.socket.resume();
    for (const reply of await Promise.all(replies)) {
      if (!reply.ok) throw new Error(reply.error.message);
      expect((reply.result.text as string).length).toBe(size);
    }
    expect(bigReads()).toBe(20);
    client.close();
  }, 30_000);
});

describe("finding 7: --host", () => {
  it("decides loopback by the address bound, whatever the spelling", async () => {
    for (const [host, shown] of [
      ["127.1", "127.0.0.1"],
      ["localhost", null],
      ["::1", "[::1]"],
      ["::ffff:127.0.0.1", "[::ffff:127.0.0.1]"],
    ] as const) {
      const { server } = await serving({ host });
      expect(server.exposure, host).toBe("loopback");
      if (shown) expect(server.origin).toBe(`http://${shown}:${server.port}`);
      const cookie = await login(server.url);
      expect((await fetch(`${server.origin}/`, { headers: { cookie } })).status, host).toBe(200);
    }
  });

  it("warns honestly when serving the network", () => {
    const fake = { address: "0.0.0.0", port: 8080 } as RunningServer;
    const warning = networkWarning(fake, "/home/me/logs");
    expect(warning).toMatch(/^WARNING: serving on 0\.0\.0\.0 \(every network interface\), port 8080/);
    expect(warning).toContain("write files anywhere under /home/me/logs");
    expect(warning).toContain("plain HTTP");
    expect(networkWarning(fake, "/home/me/logs", { readOnly: true })).not.toContain("change");
  });
});
