import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { HostedDocument } from "../../host/hosted-document.js";
import { type RunningServer, serve } from "../../server/serve.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serving(): Promise<RunningServer> {
  const dir = tempDir();
  const assets = join(dir, "assets");
  mkdirSync(assets);
  writeFileSync(
    join(assets, "index.html"),
    `<meta http-equiv="Content-Security-Policy" content="style-src 'nonce-__GIGAPAD_NONCE__'"><meta name="n" content="__GIGAPAD_NONCE__">` +
      `<div id="editor"><!--gigapad:first-screen--></div>`,
  );
  writeFileSync(join(assets, "app.js"), "console.log('app')");
  writeFileSync(join(dir, "secret.txt"), "do not serve");
  writeFileSync(join(dir, "doc.log"), "first line\nsecond line\n");
  const host = await HostedDocument.open(join(dir, "doc.log"), { stateDir: join(dir, "state") });
  const server = await serve(host, { assets });
  cleanups.push(async () => {
    await server.close();
    await host.close();
  });
  return server;
}

/** Trades the URL's token for the server's cookie, as a browser does; returns the Cookie header. */
async function login(server: RunningServer): Promise<string> {
  const response = await fetch(server.url, { redirect: "manual" });
  expect(response.status).toBe(302);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

function connect(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
}

describe("gigapad serve: token-guarded HTTP and WebSocket", () => {
  it("refuses every request without the token (401) or with a wrong one (403)", async () => {
    const server = await serving();
    expect((await fetch(`${server.origin}/`)).status).toBe(401);
    expect((await fetch(`${server.origin}/app.js`)).status).toBe(401);
    expect((await fetch(`${server.origin}/?token=wrong`)).status).toBe(403);
    const wrong = `${server.cookieName}=wrong`;
    expect((await fetch(`${server.origin}/`, { headers: { cookie: wrong } })).status).toBe(403);
    // The URL's token is no cookie: only the secret the exchange hands out is.
    const tokenAsCookie = `${server.cookieName}=${server.token}`;
    expect((await fetch(`${server.origin}/`, { headers: { cookie: tokenAsCookie } })).status).toBe(403);
    expect((await fetch(`${server.origin}/`, { method: "POST" })).status).toBe(405);
  });

  it("trades the URL's token for an HttpOnly SameSite cookie, then serves the page with a strict CSP", async () => {
    const server = await serving();
    const first = await fetch(server.url, { redirect: "manual" });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("/");
    const setCookie = first.headers.get("set-cookie")!;
    expect(setCookie).toMatch(new RegExp(`^gigapad_${new URL(server.origin).port}=[0-9a-f]{64};`));
    expect(setCookie).not.toContain(server.token);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    const cookie = setCookie.split(";")[0]!;
    const page = await fetch(`${server.origin}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const html = await page.text();
    expect(html).not.toContain("__GIGAPAD_NONCE__");
    expect(html).toContain(nonce);
    // A fresh nonce per page.
    const again = await fetch(`${server.origin}/`, { headers: { cookie } });
    expect(again.headers.get("content-security-policy")).not.toContain(nonce);
    const script = await fetch(`${server.origin}/app.js`, {
      headers: { cookie },
    });
    expect(script.headers.get("content-type")).toContain("text/javascript");
    const traversal = await fetch(`${server.origin}/%2e%2e/secret.txt`, {
      headers: { cookie },
    });
    expect(traversal.status).toBe(404);
    // A malformed escape or a file of another kind: not found, not a crash.
    for (const path of ["/%E0%A4%A", "/secret.txt", "/a/..%2f..%2fsecret.txt"]) {
      const response = await fetch(`${server.origin}${path}`, {
        headers: { cookie },
      });
      expect(response.status, path).toBe(404);
    }
  });

  it("accepts a WebSocket only with the cookie and from the page's own origin", async () => {
    const server = await serving();
    const ws = `${server.origin.replace("http", "ws")}/ws`;
    const cookie = await login(server);
    await expect(connect(ws, { origin: server.origin })).rejects.toThrow("403");
    await expect(connect(ws, { cookie, origin: "http://evil.example" })).rejects.toThrow("403");
    await expect(connect(ws, { cookie })).rejects.toThrow("403");
    const socket = await connect(ws, { cookie, origin: server.origin });
    const reply = await new Promise<unknown>((resolve) => {
      socket.once("message", (data) => resolve(JSON.parse(data.toString())));
      socket.send(JSON.stringify({ id: 1, type: "hello", protocol: 1 }));
    });
    expect(reply).toMatchObject({ id: 1, ok: true, result: { name: "doc.log", length: 23 } });
    const bad = await new Promise<unknown>((resolve) => {
      socket.once("message", (data) => resolve(JSON.parse(data.toString())));
      socket.send("{not json");
    });
    expect(bad).toMatchObject({ event: "error", code: "EBADREQUEST" });
    socket.close();
  });

  it("writes the document's first lines into the page, as they are now", async () => {
    const server = await serving();
    const cookie = await login(server);
    const page = async () => (await fetch(`${server.origin}/`, { headers: { cookie } })).text();
    expect(await page()).toMatch(
      /<div id="editor"><div class="gp-first-screen".*>first line<\/div>.*>second line<\/div>/,
    );
    const socket = await connect(`${server.origin.replace("http", "ws")}/ws`, {
      cookie,
      origin: server.origin,
    });
    const reply = await new Promise<unknown>((resolve) => {
      socket.on("message", (data) => {
        const message = JSON.parse(data.toString());
        if (message.id === 1) resolve(message); // events may come first
      });
      socket.send(
        JSON.stringify({ id: 1, type: "edit", baseVersion: 0, edits: [{ start: 0, end: 5, text: "<1st>" }] }),
      );
    });
    expect(reply).toMatchObject({ id: 1, ok: true });
    expect(await page()).toContain(">&lt;1st&gt; line</div>");
    socket.close();
  });
});
