/**
 * The desktop app's page, without Electron: the same renderer in Chromium with a stand-in for the
 * preload's bridge (window.gigapadDesktop) that carries the protocol over `gigapad serve`'s
 * WebSocket instead of the engine's MessagePort. Checks what the page does with the bridge: it
 * uses it instead of its own socket, runs menu commands, reports its title and unsaved state,
 * asks the shell for Save As paths, hands over dropped files, and shows an engine that went away.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authorize,
  launchChromium,
  messages,
  pageErrors,
  type ServeProcess,
  screenshot,
  startServe,
  status,
  visibleLines,
} from "./browser.js";

/** Runs in the page before its scripts: a DesktopBridge over the serve WebSocket, and a log. */
const FAKE_BRIDGE = `(() => {
  const log = { states: [], commands: [], dropped: [], savePaths: [], sent: 0 };
  window.__bridgeLog = log;
  const messageHandlers = [], disconnectHandlers = [], commandHandlers = [];
  let socket = null; const queue = [];
  window.__bridgeControl = {
    command(id) { for (const handler of commandHandlers) handler(id); },
    disconnect(reason) { socket.onclose = null; socket.close(); for (const handler of disconnectHandlers) handler(reason); },
    nextSavePath: null,
  };
  window.gigapadDesktop = {
    send(request) { log.sent++; if (socket && socket.readyState === 1) socket.send(JSON.stringify(request)); else queue.push(request); },
    onMessage(handler) { messageHandlers.push(handler); },
    onDisconnect(handler) { disconnectHandlers.push(handler); },
    ready() {
      socket = new WebSocket("ws://" + location.host + "/ws");
      socket.onopen = () => { for (const request of queue.splice(0)) socket.send(JSON.stringify(request)); };
      socket.onmessage = (event) => { const message = JSON.parse(event.data); for (const handler of messageHandlers) handler(message); };
    },
    async chooseSavePath(current) { log.savePaths.push(current); return window.__bridgeControl.nextSavePath; },
    onCommand(handler) { commandHandlers.push(handler); },
    documentState(state) { log.states.push(state); },
    openFiles(files) { log.dropped.push(...[...files].map((file) => file.name)); },
  };
})();`;

describe("the desktop page over a stand-in preload bridge (no Electron)", () => {
  let dir: string;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  const path = () => join(dir, "desk.log");

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-desktop-"));
    writeFileSync(path(), Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join("\n"));
    server = await startServe(path(), { stateDir: join(dir, "state") });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    page = await context.newPage();
    await page.addInitScript(FAKE_BRIDGE);
    // The cookie (the bridge stands in for the MessagePort; the socket still needs the token).
    await page.goto(await authorize(context, server.url));
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("talks to the engine through the bridge, not a socket of its own", async () => {
    expect((await visibleLines(page))[0]).toEqual({ number: "1", text: "line 1" });
    expect(await page.evaluate("window.gigapadEarlySocket")).toBeUndefined();
    expect(await page.evaluate("window.__bridgeLog.sent")).toBeGreaterThan(1);
  });

  it("runs the menus' commands", async () => {
    await page.evaluate("window.__bridgeControl.command('goToEnd')");
    await expect.poll(async () => (await status(page)).position).toBe("Ln 5,000, Col 10");
    await page.evaluate("window.__bridgeControl.command('no-such-command')");
    await page.evaluate("window.__bridgeControl.command('goToStart')");
    await expect.poll(async () => (await status(page)).position).toBe("Ln 1, Col 1");
  });

  it("reports the title and unsaved state, which the close prompt uses", async () => {
    await page.keyboard.type("edited ");
    await expect
      .poll(
        async () =>
          (await page.evaluate("window.__bridgeLog.states.at(-1)")) as { modified: boolean; title: string },
      )
      .toMatchObject({ modified: true, title: "● desk.log — Gigapad", path: path() });
  });

  it("asks the shell where to save a copy, and saves there", async () => {
    const copy = join(dir, "copy.log");
    await page.evaluate(`window.__bridgeControl.nextSavePath = ${JSON.stringify(copy)}`);
    await page.evaluate("window.__bridgeControl.command('saveAs')");
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/^Saved copy\.log/));
    expect(readFileSync(copy, "utf8").startsWith("edited line 1\nline 2\n")).toBe(true);
    expect(await page.evaluate("window.__bridgeLog.savePaths")).toEqual([path()]);
    await expect
      .poll(async () => (await page.evaluate("window.__bridgeLog.states.at(-1)")) as { modified: boolean })
      .toMatchObject({ modified: false, path: copy, title: "copy.log — Gigapad" });
  });

  it("hands files dropped on the window to the shell", async () => {
    const transfer = await page.evaluateHandle(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(["x"], "dropped.csv", { type: "text/csv" }));
      return data;
    })()`);
    await page.dispatchEvent("#editor", "drop", { dataTransfer: transfer });
    expect(await page.evaluate("window.__bridgeLog.dropped")).toEqual(["dropped.csv"]);
  });

  it("shows an engine that went away, and stops taking edits", async () => {
    await page.evaluate(
      "window.__bridgeControl.disconnect('The Gigapad engine stopped unexpectedly (exit code 9).')",
    );
    await expect
      .poll(() => messages(page))
      .toContainEqual(expect.stringMatching(/engine stopped unexpectedly \(exit code 9\)/));
    expect(await page.evaluate("window.gigapad.editor.view.state.readOnly")).toBe(true);
    await expect.poll(async () => (await status(page)).safety).toBe("not connected");
    expect(await messages(page)).not.toContainEqual(expect.stringMatching(/reconnecting/));
    await screenshot(page, "desktop-engine-gone");
    expect(pageErrors(page).filter((error) => !/WebSocket/.test(error))).toEqual([]);
  });
});
