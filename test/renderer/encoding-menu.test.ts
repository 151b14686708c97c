import { describe, expect, it } from "vitest";
import type { DocumentInfo } from "../../protocol/messages.js";
import { currentEncoding, encodingEntries } from "../../renderer/encoding-menu.js";

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

  it("knows ASCII, UTF-8 with a BOM and binary files are read as UTF-8", () => {
    for (const shown of ["ascii", "utf-8-bom", "binary", "utf-8"])
      expect(currentEncoding({ encoding: shown })).toBe("utf-8");
    expect(currentEncoding({ encoding: "euc-kr" })).toBe("euc-kr");
  });
});
