import { describe, expect, it } from "vitest";
import { pageAssetName, pageContentType } from "../../presentation/page-policy.js";

describe("the page's files, wherever it is served from", () => {
  it("names files of the UI folder and nothing outside it or of another kind", () => {
    expect(pageAssetName("/")).toBe("index.html");
    expect(pageAssetName("/app.js")).toBe("app.js");
    expect(pageAssetName("//icon.svg")).toBe("icon.svg");
    for (const outside of ["/../secret.js", "/a/../../x.css", "/a\\..\\x.js", "/./app.js", "/app.js\0.css"]) {
      expect(pageAssetName(outside), outside).toBeNull();
    }
    expect(pageAssetName("/notes.txt")).toBeNull();
    expect(pageAssetName("/Makefile")).toBeNull();
    expect(pageContentType("app.js")).toBe("text/javascript; charset=utf-8");
  });
});
