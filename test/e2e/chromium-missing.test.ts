import { describe, expect, it, vi } from "vitest";

describe("end-to-end tests without Chromium", () => {
  it("fail with the install hint instead of skipping", async () => {
    vi.stubEnv("CHROME_PATH", "/nonexistent/chromium");
    vi.resetModules();
    const { launchChromium } = await import("./browser.js");
    expect(() => launchChromium()).toThrow(
      "Chromium not found at /nonexistent/chromium. The end-to-end tests drive Debian's Chromium: apt-get install -y chromium",
    );
    vi.unstubAllEnvs();
  });
});
