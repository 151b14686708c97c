import { describe, expect, it } from "vitest";
import type { DocumentInfo } from "../../protocol/messages.js";
import { currentEncoding, encodingCommands, encodingEntries } from "../../renderer/encoding-menu.js";

const encodings = [
  { encoding: "utf-8", label: "Unicode (UTF-8)" },
  { encoding: "windows-1252", label: "Western (Windows-1252)" },
  { encoding: "shift_jis", label: "Japanese (Shift_JIS)" },
];

describe("the encoding menu", () => {
  it("lists what the host offers, the current encoding ticked and not chosen again", () => {
    const chosen: string[] = [];
    const entries = encodingEntries({ encoding: "windows-1252", encodings } as unknown as DocumentInfo, (e) =>
      chosen.push(e),
    );
    expect(entries.map((entry) => [entry.label, entry.enabled])).toEqual([
      ["Unicode (UTF-8)", true],
      ["✓ Western (Windows-1252)", false],
      ["Japanese (Shift_JIS)", true],
    ]);
    entries[2]!.run();
    expect(chosen).toEqual(["shift_jis"]);
  });

  it("first asks whether to reopen or to save, and saving is offered only where Save may write", () => {
    const done: string[] = [];
    const actions = {
      reopen: (e: string) => done.push(`reopen ${e}`),
      save: (e: string) => done.push(`save ${e}`),
    };
    const list = (choose: (encoding: string) => void) => choose("big5");
    const writable = { encoding: "utf-8", readOnly: false, canSave: true } as unknown as DocumentInfo;
    const commands = encodingCommands(writable, actions, list);
    expect(commands.map((entry) => [entry.label, entry.enabled ?? true])).toEqual([
      ["Reopen with Encoding…", true],
      ["Save with Encoding…", true],
    ]);
    commands[0]!.run();
    commands[1]!.run();
    expect(done).toEqual(["reopen big5", "save big5"]);
    const readOnly = { ...writable, canSave: false } as DocumentInfo;
    expect(encodingCommands(readOnly, actions, list)[1]!.enabled).toBe(false);
  });

  it("knows ASCII, UTF-8 with a BOM and binary files are read as UTF-8", () => {
    for (const shown of ["ascii", "utf-8-bom", "binary", "utf-8"])
      expect(currentEncoding({ encoding: shown })).toBe("utf-8");
    expect(currentEncoding({ encoding: "euc-kr" })).toBe("euc-kr");
  });
});
