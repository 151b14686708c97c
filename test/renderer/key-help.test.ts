import { describe, expect, it } from "vitest";
import { EDITOR_COMMANDS } from "../../protocol/desktop-bridge.js";
import { KEY_HELP, keyHelpFor } from "../../renderer/key-help.js";
import { pageShortcut } from "../../renderer/shortcuts.js";

describe("the help sheet's keys", () => {
  it("has a row for every editor command", () => {
    const listed = new Set(KEY_HELP.flatMap((row) => row.commands ?? []));
    expect(EDITOR_COMMANDS.filter((command) => !listed.has(command))).toEqual([]);
  });

  it("names the keys that run each command (the first key of a row runs its first command)", () => {
    for (const mac of [false, true]) {
      for (const [index, row] of keyHelpFor(mac).entries()) {
        const command = KEY_HELP[index]!.commands?.[0];
        if (!command || ["undo", "redo", "goToStart", "selectAll", "findNext"].includes(command)) continue;
        const parts = row.keys.split(" / ")[0]!.split("+");
        const key = parts.pop()!;
        const event = {
          key: key.length === 1 ? key.toLowerCase() : key,
          ctrlKey: parts.includes("Ctrl"),
          metaKey: parts.includes("Cmd"),
          shiftKey: parts.includes("Shift"),
          altKey: parts.includes("Alt"),
        };
        expect(pageShortcut(event, mac), `${mac ? "mac" : "pc"} ${row.keys}`).toBe(command);
      }
    }
  });

  it("says Cmd on macOS and Ctrl elsewhere", () => {
    expect(keyHelpFor(true).map((row) => row.keys)).toContain("Cmd+Alt+F");
    expect(keyHelpFor(false).map((row) => row.keys)).toContain("Ctrl+H");
    expect(keyHelpFor(false).some((row) => row.keys.includes("Cmd"))).toBe(false);
  });
});
