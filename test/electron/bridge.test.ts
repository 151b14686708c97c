import { describe, expect, it } from "vitest";
import { exposeDesktopBridge, type RendererPortLike } from "../../electron/desktop-bridge.js";
import { DESKTOP_BRIDGE_NAME, DESKTOP_CHANNELS, type DesktopBridge } from "../../protocol/desktop-bridge.js";
import type { HostMessage } from "../../protocol/messages.js";

/** A fake of what the preload sees of Electron: contextBridge, ipcRenderer, webUtils. */
function fakeElectron() {
  const exposed: Record<string, unknown> = {};
  const listeners = new Map<
    string,
    ((event: { ports?: RendererPortLike[] }, ...args: unknown[]) => void)[]
  >();
  const sent: [string, unknown[]][] = [];
  const invoked: [string, unknown[]][] = [];
  let invokeAnswer: unknown = null;
  const electron = {
    contextBridge: {
      exposeInMainWorld(name: string, api: unknown) {
        exposed[name] = api;
      },
    },
    ipcRenderer: {
      on(channel: string, listener: (event: { ports?: RendererPortLike[] }, ...args: unknown[]) => void) {
        listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      },
      send(channel: string, ...args: unknown[]) {
        sent.push([channel, args]);
      },
      async invoke(channel: string, ...args: unknown[]) {
        invoked.push([channel, args]);
        return invokeAnswer;
      },
    },
    webUtils: { getPathForFile: (file: File) => (file as unknown as { fakePath: string }).fakePath },
  };
  const main = {
    emit(channel: string, event: { ports?: RendererPortLike[] }, ...args: unknown[]) {
      for (const listener of listeners.get(channel) ?? []) listener(event, ...args);
    },
    answer(value: unknown) {
      invokeAnswer = value;
    },
  };
  return { electron, exposed, sent, invoked, main };
}

function fakePort() {
  const posted: unknown[] = [];
  const port: RendererPortLike & { posted: unknown[] } = {
    posted,
    onmessage: null,
    postMessage: (m) => posted.push(m),
    start() {},
  };
  return port;
}

describe("the preload's bridge: the page's one door", () => {
  it("exposes exactly the bridge's functions under one name, and no Electron object", () => {
    const { electron, exposed } = fakeElectron();
    exposeDesktopBridge(electron);
    expect(Object.keys(exposed)).toEqual([DESKTOP_BRIDGE_NAME]);
    const bridge = exposed[DESKTOP_BRIDGE_NAME] as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(
      [
        "chooseSavePath",
        "documentState",
        "onCommand",
        "onDisconnect",
        "onMessage",
        "openFiles",
        "ready",
        "send",
      ].sort(),
    );
    for (const value of Object.values(bridge)) expect(typeof value).toBe("function");
  });

  it("carries protocol messages over the engine's port, queueing until the port arrives", () => {
    const { electron, exposed, sent, main } = fakeElectron();
    exposeDesktopBridge(electron);
    const bridge = exposed[DESKTOP_BRIDGE_NAME] as DesktopBridge;
    const received: HostMessage[] = [];
    bridge.onMessage((message) => received.push(message));
    bridge.send({ id: 1, type: "hello", protocol: 1 });
    bridge.ready();
    expect(sent).toEqual([[DESKTOP_CHANNELS.ready, []]]);
    const port = fakePort();
    main.emit(DESKTOP_CHANNELS.port, { ports: [port] });
    expect(port.posted).toEqual([{ id: 1, type: "hello", protocol: 1 }]);
    bridge.send({ id: 2, type: "undo" });
    expect(port.posted).toHaveLength(2);
    port.onmessage!({ data: { id: 1, ok: true, result: {} } });
    expect(received).toEqual([{ id: 1, ok: true, result: {} }]);
  });

  it("tells the page when the engine is gone, and passes only known menu commands", () => {
    const { electron, exposed, main } = fakeElectron();
    exposeDesktopBridge(electron);
    const bridge = exposed[DESKTOP_BRIDGE_NAME] as DesktopBridge;
    const reasons: string[] = [];
    const commands: string[] = [];
    bridge.onDisconnect((reason) => reasons.push(reason));
    bridge.onCommand((command) => commands.push(command));
    main.emit(DESKTOP_CHANNELS.engineGone, {}, "the engine stopped (exit code 9)");
    main.emit(DESKTOP_CHANNELS.command, {}, "save");
    main.emit(DESKTOP_CHANNELS.command, {}, "rm -rf /");
    main.emit(DESKTOP_CHANNELS.command, {}, { toString: () => "save" });
    expect(reasons).toEqual(["the engine stopped (exit code 9)"]);
    expect(commands).toEqual(["save"]);
  });

  it("asks for a save path, reports state and dropped files, passing only plain values", async () => {
    const { electron, exposed, sent, invoked, main } = fakeElectron();
    exposeDesktopBridge(electron);
    const bridge = exposed[DESKTOP_BRIDGE_NAME] as DesktopBridge;
    main.answer("/data/copy.log");
    expect(await bridge.chooseSavePath("/data/a.log")).toBe("/data/copy.log");
    main.answer({ evil: true });
    expect(await bridge.chooseSavePath("/data/a.log")).toBeNull();
    expect(invoked[0]).toEqual([DESKTOP_CHANNELS.chooseSavePath, ["/data/a.log"]]);
    bridge.documentState({
      title: "● a.log — Gigapad",
      modified: true,
      path: "/data/a.log",
      extra: "x",
    } as never);
    bridge.openFiles([{ fakePath: "/data/b.csv" }, { fakePath: "" }] as unknown as File[]);
    expect(sent).toEqual([
      [DESKTOP_CHANNELS.documentState, [{ title: "● a.log — Gigapad", modified: true, path: "/data/a.log" }]],
      [DESKTOP_CHANNELS.openPaths, [["/data/b.csv"]]],
    ]);
  });
});
