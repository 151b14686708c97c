import { describe, expect, it } from "vitest";
import type { DocumentInfo } from "../../protocol/messages.js";
import { documentTitle, type StatusFacts, statusCells } from "../../renderer/status-cells.js";

const info = {
  name: "app.log",
  path: "/logs/app.log",
  length: 3 * 1024 ** 3,
  lineCount: 1_396_109,
  indexProgress: { bytesDone: 0, bytesTotal: 0 },
  eol: "lf",
  encoding: "utf-8",
  readOnly: false,
  modified: false,
  safety: "all edits safe",
} as unknown as DocumentInfo;

const facts = (more: Partial<StatusFacts> = {}): StatusFacts => ({
  info,
  line: 41,
  column: 7,
  selection: { anchor: 1000, head: 1000 },
  filter: null,
  wrap: false,
  follow: "off",
  saving: null,
  replacing: null,
  connected: true,
  ...more,
});

const cells = (more: Partial<StatusFacts> = {}) => Object.fromEntries(statusCells(facts(more)));

describe("the status bar", () => {
  it("shows the file, where the cursor is, the line count, size, line ending, encoding and safety, in order", () => {
    expect(statusCells(facts())).toEqual([
      ["file", "app.log"],
      ["position", "Ln 42, Col 7"],
      ["byte", "Byte 1,000"],
      ["follow", "follow: off"],
      ["lines", "1,396,109 lines"],
      ["size", "3.00 GiB"],
      ["eol", "LF"],
      ["encoding", "UTF-8"],
      ["safety", "all edits safe"],
    ]);
  });

  it("marks an encoding that was guessed", () => {
    const guessed = { ...info, encoding: "shift_jis", encodingConfidence: 0.8 } as DocumentInfo;
    expect(cells({ info: guessed }).encoding).toBe("SHIFT_JIS (guess)");
    expect(cells({ info: { ...guessed, encodingConfidence: 1 } }).encoding).toBe("SHIFT_JIS");
  });

  it("shows dashes for a position not known yet, and the indexing progress instead of a count", () => {
    const indexing = {
      ...info,
      lineCount: null,
      indexProgress: { bytesDone: 1, bytesTotal: 3 },
    } as unknown as DocumentInfo;
    const shown = cells({ info: indexing, line: null, column: null });
    expect(shown.position).toBe("Ln —, Col —");
    expect(shown.lines).toBe("indexing 33%");
  });

  it("adds the selection's size, the filter, wrap and the follow mode when they apply", () => {
    const shown = cells({
      selection: { anchor: 3000, head: 1000 },
      filter: "12 lines",
      wrap: true,
      follow: "paused",
    });
    expect(shown.selection).toBe("1.95 KiB selected");
    expect(shown.filter).toBe("filter: 12 lines");
    expect(shown.wrap).toBe("wrap");
    expect(shown.follow).toBe("follow paused (Ctrl+End)");
    expect(cells({ follow: "on" }).follow).toBe("following");
  });

  it("shows a save's or a replace's progress in the safety cell, and why editing is off", () => {
    expect(cells({ saving: { done: 1, total: 4 } }).safety).toBe("saving 25%");
    expect(cells({ replacing: "replacing 40% (12)" }).safety).toBe("replacing 40% (12)");
    expect(cells({ connected: false }).safety).toBe("not connected");
    expect(cells({ info: { ...info, readOnly: true } }).safety).toBe("read-only");
    expect(cells({ info: { ...info, canSave: false } }).safety).toBe("read-only file · all edits safe");
  });

  it("titles the page by the file, marked while modified", () => {
    expect(documentTitle({ name: "app.log", modified: false })).toBe("app.log — Gigapad");
    expect(documentTitle({ name: "app.log", modified: true })).toBe("● app.log — Gigapad");
  });
});
