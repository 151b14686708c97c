import { describe, expect, it } from "vitest";
import { matchingLinesName, saveRefusal } from "../../renderer/save-rules.js";

describe("the save flow's answers", () => {
  it("asks before Save As replaces another existing file, naming it", () => {
    expect(saveRefusal("EEXIST", "exists", "/logs/old/app.log")).toEqual({
      ask: "replace",
      text: "Replace app.log? It already exists.",
    });
    expect(saveRefusal("EEXIST", "exists", "C:\\logs\\app.log")).toMatchObject({ ask: "replace" });
  });

  it("asks before overwriting a file another program changed", () => {
    expect(saveRefusal("EFILECHANGED", "the file changed on disk", undefined)).toEqual({
      ask: "overwrite",
      text: "Not saved: the file changed on disk",
    });
  });

  it("says the file is untouched when the disk is full or the save failed otherwise", () => {
    expect(saveRefusal("ENOSPC", "no space", undefined)).toEqual({
      tell: "Not saved: the disk is full (no space). The file is untouched and your edits are safe.",
    });
    expect(saveRefusal("EACCES", "permission denied", undefined)).toEqual({
      tell: "Not saved: permission denied. The file is untouched and your edits are safe.",
    });
    // Save (no path) never asks to replace: EEXIST there is a plain failure.
    expect(saveRefusal("EEXIST", "exists", undefined)).toMatchObject({ tell: expect.any(String) });
  });

  it("suggests a name for the matching lines beside the document's, before its extension", () => {
    expect(matchingLinesName("app.log")).toBe("app.matching.log");
    expect(matchingLinesName("app.2024.log")).toBe("app.2024.matching.log");
    expect(matchingLinesName("README")).toBe("README.matching");
    expect(matchingLinesName(".profile")).toBe(".profile.matching");
  });
});
