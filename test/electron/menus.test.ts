import { describe, expect, it } from "vitest";
import {
  type MenuAction,
  menuItems,
  menuTemplate,
  toElectronTemplate,
} from "../../electron/menu-template.js";
import { EDITOR_COMMANDS } from "../../protocol/desktop-bridge.js";
import { pageShortcut } from "../../renderer/shortcuts.js";

const state = { recent: ["/data/a.log", "/data/b.csv"], hasDocument: true };

describe("desktop menus, as data", () => {
  it("has File, Edit, Find and Go menus with the items the app needs, on every platform", () => {
    for (const platform of ["linux", "win32", "darwin"] as const) {
      const template = menuTemplate(platform, state);
      const labels = template.map((menu) => menu.label!.replace("&", ""));
      expect(labels).toEqual(expect.arrayContaining(["File", "Edit", "Find", "Go"]));
      const ids = menuItems(template).map((item) => item.id);
      expect(ids).toEqual(expect.arrayContaining(["open", "open-recent", "save", "saveAs", "close", "quit"]));
      // Every editor command has a menu item that sends it.
      for (const command of EDITOR_COMMANDS) {
        const item = menuItems(template).find((entry) => entry.id === command);
        expect(item?.action, `${platform}: ${command}`).toEqual({ kind: "command", command });
      }
    }
    // macOS keeps Quit in the app menu.
    expect(menuTemplate("darwin", state)[0]!.label).toBe("Gigapad");
    expect(menuItems(menuTemplate("darwin", state)).find((item) => item.id === "quit")?.accelerator).toBe(
      "Cmd+Q",
    );
    expect(menuItems(menuTemplate("linux", state)).find((item) => item.id === "quit")?.accelerator).toBe(
      "Ctrl+Q",
    );
  });

  it("lists recent files, newest first, and can clear them", () => {
    const recent = menuItems(menuTemplate("linux", state)).find((item) => item.id === "open-recent")!;
    expect(
      recent.submenu!.filter((item) => item.action?.kind === "openRecent").map((item) => item.label),
    ).toEqual(state.recent);
    const empty = menuItems(menuTemplate("linux", { recent: [], hasDocument: false })).find(
      (item) => item.id === "open-recent",
    )!;
    expect(empty.enabled).toBe(false);
  });

  it("uses the platform's shortcuts, with no key bound twice", () => {
    for (const platform of ["linux", "win32", "darwin"] as const) {
      const accelerators = menuItems(menuTemplate(platform, state))
        .map((item) => item.accelerator)
        .filter((accelerator): accelerator is string => accelerator !== undefined)
        .map((accelerator) => accelerator.replace("CmdOrCtrl", platform === "darwin" ? "Cmd" : "Ctrl"));
      expect(new Set(accelerators).size, platform).toBe(accelerators.length);
    }
    const linux = menuItems(menuTemplate("linux", state));
    const shortcut = (id: string) => linux.find((item) => item.id === id)?.accelerator;
    expect(shortcut("save")).toBe("CmdOrCtrl+S");
    expect(shortcut("saveAs")).toBe("CmdOrCtrl+Shift+S");
    expect(shortcut("goToLine")).toBe("CmdOrCtrl+G");
    expect(shortcut("find")).toBe("CmdOrCtrl+F");
    expect(shortcut("redo")).toBe("Ctrl+Y");
    expect(menuItems(menuTemplate("darwin", state)).find((item) => item.id === "redo")?.accelerator).toBe(
      "Cmd+Shift+Z",
    );
  });

  it("leaves editor keys to the page on Linux and Windows (each press runs once), and the page binds the same keys", () => {
    for (const platform of ["linux", "win32", "darwin"] as const) {
      const mac = platform === "darwin";
      for (const item of menuItems(menuTemplate(platform, state))) {
        if (item.action?.kind !== "command") continue;
        expect(item.registerAccelerator, `${platform} ${item.id}`).toBe(mac);
      }
      // The page's own shortcuts are the menu's: press each accelerator and see what the page runs.
      for (const command of [
        "find",
        "goToLine",
        "save",
        "saveAs",
        "findNext",
        "findPrevious",
        "toggleWrap",
        "replace",
        "filter",
        "help",
        "follow",
      ] as const) {
        const accelerator = menuItems(menuTemplate(platform, state)).find((item) => item.id === command)!
          .accelerator!;
        const parts = accelerator.split("+");
        const key = parts.pop()!;
        const event = {
          key: key.length === 1 ? key.toLowerCase() : key,
          ctrlKey: parts.includes("Ctrl") || (!mac && parts.includes("CmdOrCtrl")),
          metaKey: parts.includes("Cmd") || (mac && parts.includes("CmdOrCtrl")),
          shiftKey: parts.includes("Shift"),
          altKey: parts.includes("Alt"),
        };
        expect(pageShortcut(event, mac), `${platform} ${accelerator}`).toBe(command);
      }
    }
  });

  it("routes each click to its action when turned into Electron's template", () => {
    const chosen: MenuAction[] = [];
    const electronTemplate = toElectronTemplate(menuTemplate("linux", state), (action) =>
      chosen.push(action),
    );
    const find = (items: Record<string, unknown>[], id: string): Record<string, unknown> | undefined => {
      for (const item of items) {
        if (item.id === id) return item;
        const inner = find((item.submenu as Record<string, unknown>[] | undefined) ?? [], id);
        if (inner) return inner;
      }
      return undefined;
    };
    (find(electronTemplate, "save")!.click as () => void)();
    (find(electronTemplate, "recent-1")!.click as () => void)();
    expect(chosen).toEqual([
      { kind: "command", command: "save" },
      { kind: "openRecent", path: "/data/b.csv" },
    ]);
    expect(find(electronTemplate, "copy")).toMatchObject({ role: "copy" });
    expect(find(electronTemplate, "save")).toMatchObject({
      registerAccelerator: false,
      accelerator: "CmdOrCtrl+S",
    });
  });
});
