import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { findChromium, installedChromium, packagedChromium } from "../../bench/chromium.js";

describe("finding a Chromium for the end-to-end tests", () => {
  it("fails with the hint instead of skipping when CHROME_PATH names nothing", async () => {
    vi.stubEnv("CHROME_PATH", "/nonexistent/chromium");
    vi.resetModules();
    const { launchChromium } = await import("./browser.js");
    expect(() => launchChromium()).toThrow("CHROME_PATH is /nonexistent/chromium, which does not exist");
    vi.unstubAllEnvs();
  });

  it("takes CHROME_PATH first", () => {
    const fake = join(mkdtempSync(join(tmpdir(), "gigapad-chrome-")), "chrome");
    writeFileSync(fake, "#!/bin/sh\n", { mode: 0o755 });
    vi.stubEnv("CHROME_PATH", fake);
    expect(findChromium()).toEqual({ path: fake, source: "CHROME_PATH" });
    vi.unstubAllEnvs();
    rmSync(join(fake, ".."), { recursive: true });
  });

  it("finds a browser the platform installed on PATH", () => {
    const dir = mkdtempSync(join(tmpdir(), "gigapad-path-"));
    writeFileSync(join(dir, "google-chrome-stable"), "#!/bin/sh\n", { mode: 0o755 });
    // Not executable: passed over.
    writeFileSync(join(dir, "chromium"), "", { mode: 0o644 });
    vi.stubEnv("PATH", dir);
    const found = installedChromium();
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true });
    // A real one under /usr/lib or /opt would be found as well; the PATH one comes first.
    if (process.platform === "linux") expect(found).toBe(join(dir, "google-chrome-stable"));
  });

  it.runIf(process.platform === "linux" && (process.arch === "x64" || process.arch === "arm64"))(
    "without any installed browser, uses the Chromium inside the @sparticuz/chromium package",
    () => {
      const found = packagedChromium();
      expect(found?.source).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+$/);
      expect(found?.path).toMatch(/gigapad-chromium-[\d.]+-\d+\/chromium$/);
    },
    60_000,
  );
});
