import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appResponse } from "../../electron/app-protocol.js";
import { contentSecurityPolicy, hardenWebContents, isTrustedSender } from "../../electron/web-security.js";
import { EDITOR_URL, editorWindowOptions } from "../../electron/window-options.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("desktop security (Electron's checklist)", () => {
  it("editor windows: context isolation, sandbox, no Node, no webviews, the preload as the only door", () => {
    const options = editorWindowOptions("/app/dist/electron/preload.cjs", "a.log — Gigapad");
    expect(options.webPreferences).toMatchObject({
      preload: "/app/dist/electron/preload.cjs",
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    // The main process builds every window from these options, and nothing else.
    const main = readFileSync(join(import.meta.dirname, "..", "..", "electron", "main.ts"), "utf8");
    const constructions = main.match(/new BrowserWindow\(([^)]*)/g) ?? [];
    expect(constructions.length).toBeGreaterThan(0);
    for (const construction of constructions) expect(construction).toContain("editorWindowOptions");
    expect(main).not.toMatch(/nodeIntegration:\s*true|contextIsolation:\s*false|sandbox:\s*false/);
  });

  it("blocks navigation, redirects and new windows away from the app, and webviews", () => {
    const handlers: Record<string, (event: { preventDefault(): void }, url: string) => void> = {};
    let openHandler: ((details: { url: string }) => { action: string }) | null = null;
    const blocked: string[] = [];
    hardenWebContents(
      {
        on: (event: string, listener: never) => {
          handlers[event] = listener;
        },
        setWindowOpenHandler: (handler) => {
          openHandler = handler;
        },
      },
      (url) => blocked.push(url),
    );
    const attempt = (event: string, url: string) => {
      let prevented = false;
      handlers[event]!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(attempt("will-navigate", "https://example.com/")).toBe(true);
    expect(attempt("will-navigate", "file:///etc/passwd")).toBe(true);
    expect(attempt("will-redirect", "http://127.0.0.1:9/")).toBe(true);
    expect(attempt("will-navigate", EDITOR_URL)).toBe(false);
    expect(attempt("will-attach-webview", "")).toBe(true);
    expect(openHandler!({ url: "https://example.com/" })).toEqual({ action: "deny" });
    expect(blocked).toEqual([
      "https://example.com/",
      "file:///etc/passwd",
      "http://127.0.0.1:9/",
      "https://example.com/",
    ]);
  });

  it("accepts IPC only from our windows' main frames showing an app page", () => {
    const mainFrame = { url: EDITOR_URL };
    const ours = new Set([7]);
    expect(isTrustedSender({ sender: { id: 7, mainFrame }, senderFrame: mainFrame }, ours)).toBe(true);
    expect(isTrustedSender({ sender: { id: 8, mainFrame }, senderFrame: mainFrame }, ours)).toBe(false);
    const subframe = { url: EDITOR_URL };
    expect(isTrustedSender({ sender: { id: 7, mainFrame }, senderFrame: subframe }, ours)).toBe(false);
    // Electron may hand out another object for the same frame: ids decide.
    const main = { url: EDITOR_URL, processId: 4, routingId: 1 };
    const sameMain = { url: EDITOR_URL, processId: 4, routingId: 1 };
    const child = { url: EDITOR_URL, processId: 4, routingId: 2 };
    expect(isTrustedSender({ sender: { id: 7, mainFrame: main }, senderFrame: sameMain }, ours)).toBe(true);
    expect(isTrustedSender({ sender: { id: 7, mainFrame: main }, senderFrame: child }, ours)).toBe(false);
    const elsewhere = { url: "https://example.com/" };
    expect(isTrustedSender({ sender: { id: 7, mainFrame: elsewhere }, senderFrame: elsewhere }, ours)).toBe(
      false,
    );
    expect(isTrustedSender({ sender: { id: 7, mainFrame }, senderFrame: null }, ours)).toBe(false);
  });

  it("serves the page with a strict CSP and a fresh nonce, and nothing outside the UI folder", async () => {
    const dir = tempDir();
    const assets = join(dir, "renderer");
    mkdirSync(assets);
    writeFileSync(join(assets, "index.html"), '<meta content="__GIGAPAD_NONCE__">');
    writeFileSync(join(assets, "app.js"), "x");
    writeFileSync(join(dir, "secret.txt"), "no");
    const page = await appResponse(EDITOR_URL, assets);
    expect(page.status).toBe(200);
    const csp = page.headers["content-security-policy"]!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'none'");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(String(page.body)).toBe(`<meta content="${nonce}">`);
    expect((await appResponse(EDITOR_URL, assets)).headers["content-security-policy"]).not.toContain(nonce);
    expect((await appResponse("gigapad://app/app.js", assets)).status).toBe(200);
    expect((await appResponse("gigapad://app/../secret.txt", assets)).status).toBe(404);
    expect((await appResponse("gigapad://app/%2e%2e/secret.txt", assets)).status).toBe(404);
    expect((await appResponse("gigapad://other/index.html", assets)).status).toBe(404);
    expect((await appResponse("file:///etc/passwd", assets)).status).toBe(404);
    expect((await appResponse("gigapad://app/%E0%A4%A.js", assets)).status).toBe(404);
    expect(contentSecurityPolicy("n")).toContain("object-src 'none'");
  });
});
