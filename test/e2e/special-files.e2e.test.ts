/**
 * The editor on the files that break other editors — CRLF with invalid UTF-8, a 256 MiB single
 * line — and the errors a user can meet while editing: the file truncated or deleted by another
 * program, the engine gone, a full disk.
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MiB, writeCrlfInvalidCorpus, writeSingleLineCorpus } from "../../bench/corpora.js";
import { open } from "../../piece-table/index.js";
import {
  launchChromium,
  messages,
  openEditor,
  pageErrors,
  type ServeProcess,
  screenshot,
  startServe,
  status,
  visibleLines,
} from "./browser.js";
import { characterOnScreenProbe } from "./page-probes.mjs";

let browser: Browser;
let dir: string;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gigapad-e2e-special-"));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function serveFile(path: string): Promise<ServeProcess> {
  const server = await startServe(path, { stateDir: join(dir, "state") });
  servers.push(server);
  return server;
}

async function waitForStatus(page: Page, cell: string, expected: RegExp): Promise<void> {
  await expect.poll(async () => (await status(page))[cell], { timeout: 20_000 }).toMatch(expected);
}

async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press("Control+g");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
  await waitForStatus(page, "position", new RegExp(`^Ln ${line.toLocaleString("en-US")}, Col 1$`));
}

function readTail(path: string, bytes: number): Buffer {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(bytes);
    readSync(fd, buffer, 0, bytes, size - bytes);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

describe("CRLF with invalid UTF-8, lone CRs and NULs", () => {
  it("shows invalid bytes without changing them, types CRLF line ends, and saves only the edit", async () => {
    const path = join(dir, "mixed.txt");
    writeCrlfInvalidCorpus(path, 4 * MiB);
    const original = readFileSync(path);
    const engine = await open(path, { readOnly: true });
    const lineStart = engine.lineStart(99);
    await engine.close();
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    await waitForStatus(page, "eol", /^CRLF$/);
    expect((await status(page)).encoding).toBe("BINARY"); // it holds NUL bytes
    // Invalid bytes and control characters are visible as themselves.
    expect(await page.locator(".cm-gp-byte").count()).toBeGreaterThan(0);
    expect(await page.locator(".cm-gp-byte").first().textContent()).toMatch(/^\\x[0-9A-F]{2}$/);
    expect(await page.locator(".cm-specialChar").count()).toBeGreaterThan(0);
    await screenshot(page, "crlf-invalid-utf8");

    await goToLine(page, 100);
    await page.keyboard.type("hello");
    await page.keyboard.press("Enter");
    await page.keyboard.type("world");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/^Saved mixed\.txt/));
    const expected = Buffer.concat([
      original.subarray(0, lineStart),
      Buffer.from("hello\r\nworld"),
      original.subarray(lineStart),
    ]);
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });
});

describe("a 256 MiB file on one line", () => {
  const size = 256 * MiB;
  let path: string;
  let server: ServeProcess;

  beforeAll(async () => {
    path = join(dir, "one-line.json");
    writeSingleLineCorpus(path, size);
    server = await serveFile(path);
  }, 60_000);

  it("opens, shows it in segments, scrolls by byte, and jumps to its end", async () => {
    const fd = openSync(path, "r");
    const start = Buffer.alloc(200);
    readSync(fd, start, 0, 200, 0);
    closeSync(fd);
    const page = await openEditor(browser, server.url);
    const lines = await visibleLines(page);
    expect(lines[0]!.number).toBe("1");
    expect(lines[0]!.text.startsWith(start.toString("latin1"))).toBe(true);
    // Later segments continue line 1 (marked ⋯ in the gutter), each a few KiB.
    expect(lines[1]!.number).toBe("⋯");
    expect(lines.every((line) => line.text.length <= 16 * 1024)).toBe(true);
    await waitForStatus(page, "lines", /^1 line$/);
    await screenshot(page, "one-line-256mib");

    // Drag the scrollbar's thumb to the middle: the view shows the bytes there.
    const thumb = await page.locator("#scrollbar .gp-thumb").boundingBox();
    const track = await page.locator("#scrollbar").boundingBox();
    await page.mouse.move(thumb!.x + thumb!.width / 2, thumb!.y + 2);
    await page.mouse.down();
    await page.mouse.move(thumb!.x + thumb!.width / 2, track!.y + track!.height / 2, { steps: 8 });
    await page.mouse.up();
    // The drag's last jump may still be on its way: wait until the view rests in the middle and
    // its first line shows the file's bytes at the offset the editor reports for it.
    const bytesAt = (offset: number, length: number): string => {
      const buffer = Buffer.alloc(length);
      const fd = openSync(path, "r");
      readSync(fd, buffer, 0, length, offset);
      closeSync(fd);
      return buffer.toString("latin1");
    };
    await expect
      .poll(
        async () => {
          const top = (await page.evaluate("gigapad.editor.topVisibleByte()")) as number;
          const first = (await visibleLines(page))[0]?.text ?? "";
          const again = (await page.evaluate("gigapad.editor.topVisibleByte()")) as number;
          return top === again && top > size * 0.4 && top < size * 0.6 && first.startsWith(bytesAt(top, 100));
        },
        { timeout: 20_000 },
      )
      .toBe(true);

    await page.keyboard.press("Control+End");
    await expect
      .poll(async () =>
        (await visibleLines(page)).at(-1)?.text.endsWith(readTail(path, 50).toString("latin1")),
      )
      .toBe(true);
    await page.keyboard.type("]");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 30_000 })
      .toContainEqual(expect.stringMatching(/^Saved one-line\.json/));
    expect(statSync(path).size).toBe(size + 1);
    expect(readTail(path, 1).toString()).toBe("]");
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("Ctrl+G 50% goes to the middle byte, not the start of the one line", async () => {
    const page = await openEditor(browser, server.url);
    await waitForStatus(page, "lines", /^1 line$/);
    await page.keyboard.press("Control+g");
    await page.keyboard.type("50%");
    await page.keyboard.press("Enter");
    const half = Math.floor(statSync(path).size / 2);
    await waitForStatus(page, "byte", new RegExp(`^Byte ${half.toLocaleString("en-US")}$`));
    const top = (await page.evaluate("gigapad.editor.topVisibleByte()")) as number;
    // The cursor is in the middle of the screen: half a screen of 8 KiB segments above it.
    expect(Math.abs(top - half)).toBeLessThan(512 * 1024);
    await page.context().close();
  }, 60_000);

  it("Alt+Z wraps the line: text 1,500 bytes in comes onto the screen, and the status bar says wrap", async () => {
    const page = await openEditor(browser, server.url);
    // Where the character 1,500 bytes into the first segment is drawn, against the scroller.
    const onScreen = () => page.evaluate(characterOnScreenProbe, 1500);
    expect(await onScreen()).toBe(false);
    expect((await status(page)).wrap).toBeUndefined();
    await page.keyboard.press("Alt+z");
    await expect.poll(onScreen).toBe(true);
    expect((await status(page)).wrap).toBe("wrap");
    await screenshot(page, "one-line-wrapped");
    // Remembered for this file: a new page of it starts wrapped; Alt+Z again unwraps.
    const again = await page.context().newPage();
    await again.goto(`${server.origin}/`);
    await again.waitForSelector("body[data-ready=true]");
    await expect.poll(async () => (await status(again)).wrap).toBe("wrap");
    await again.keyboard.press("Alt+z");
    await expect.poll(async () => (await status(again)).wrap).toBeUndefined();
    await page.context().close();
  }, 60_000);
});

describe("errors a user can meet", () => {
  it("says so when another program truncates or deletes the file, and keeps the edits", async () => {
    const path = join(dir, "shrinks.log");
    writeFileSync(path, "a line of the log\n".repeat(50_000));
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    await page.keyboard.type("kept ");
    await waitForStatus(page, "safety", /^all edits safe$/);
    truncateSync(path, 1000);
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/truncated shrinks\.log on disk/));
    await screenshot(page, "file-truncated");
    rmSync(path);
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/was deleted or moved on disk/));
    await page.context().close();
  });

  it("shows a lost connection, and stops accepting typing until it is back", async () => {
    const path = join(dir, "engine-dies.log");
    writeFileSync(path, "line\n".repeat(1000));
    const server = await startServe(path, { stateDir: join(dir, "state") });
    const page = await openEditor(browser, server.url);
    server.child.kill("SIGKILL");
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/^Lost the connection/));
    expect(await page.evaluate("gigapad.editor.view.state.readOnly")).toBe(true);
    await screenshot(page, "connection-lost");
    await page.context().close();
  });

  const canMount = process.getuid?.() === 0 && process.platform === "linux";
  it.skipIf(!canMount)(
    "a full disk: the save is refused with a clear message and the file is untouched",
    async () => {
      const mountPoint = mkdtempSync(join(tmpdir(), "gigapad-e2e-tmpfs-"));
      const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint]);
      expect(mounted.status, String(mounted.stderr)).toBe(0);
      try {
        const path = join(mountPoint, "full.log");
        writeFileSync(path, "x".repeat(3 * MiB));
        const before = readFileSync(path);
        const server = await startServe(path, { stateDir: join(dir, "state-full") });
        servers.push(server);
        const page = await openEditor(browser, server.url);
        await page.keyboard.type("y");
        await page.keyboard.press("Control+s");
        await expect
          .poll(() => messages(page), { timeout: 20_000 })
          .toContainEqual(expect.stringMatching(/disk is full/));
        expect(readFileSync(path).equals(before)).toBe(true);
        await screenshot(page, "disk-full");
        await page.context().close();
        await server.stop();
      } finally {
        spawnSync("umount", ["-l", mountPoint]);
        rmSync(mountPoint, { recursive: true, force: true });
      }
    },
  );
});

describe("select all on a file too big for the clipboard", () => {
  it("selects the whole file, refuses to copy it, deletes it, and undo brings it back", async () => {
    const path = join(dir, "big-select.log");
    writeFileSync(path, `${"0123456789 abcdefghij ".repeat(4)}\n`.repeat(800_000));
    const size = statSync(path).size;
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Control+a");
    await waitForStatus(page, "selection", /^67\.9 MiB selected$/);
    await page.keyboard.press("Control+c");
    await expect
      .poll(() => messages(page))
      .toContainEqual(expect.stringMatching(/too large for the clipboard/));
    await screenshot(page, "select-all-copy-refused");
    await page.keyboard.press("Delete");
    await waitForStatus(page, "size", /^0 B$/);
    await expect.poll(async () => (await visibleLines(page)).map((line) => line.text)).toEqual([""]);
    await page.keyboard.press("Control+z");
    await waitForStatus(page, "size", /^67\.9 MiB$/);
    // The status bar may tell the new size a moment before the window is loaded again.
    await expect
      .poll(async () => (await visibleLines(page))[0]?.text)
      .toBe(`${"0123456789 abcdefghij ".repeat(4)}`);
    // Nothing was saved: the file is as it was.
    expect(statSync(path).size).toBe(size);
    await page.context().close();
  });

  it("copies a selection of a few lines as text", async () => {
    const path = join(dir, "copy.log");
    writeFileSync(path, "alpha\nbeta\ngamma\n");
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Control+c");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe("alpha\nbeta\n");
    await page.context().close();
  });
});

describe("small files at the edges", () => {
  it("an empty file opens, takes typing and saves exactly that", async () => {
    const path = join(dir, "empty.txt");
    writeFileSync(path, "");
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    await waitForStatus(page, "size", /^0 B$/);
    await page.keyboard.type("hello");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/^Saved empty\.txt/));
    expect(readFileSync(path, "utf8")).toBe("hello\n");
    await page.context().close();
  });

  it("keeps a UTF-8 byte order mark out of the text and in the file", async () => {
    const path = join(dir, "bom.csv");
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("id,name\n1,é\n")]));
    const server = await serveFile(path);
    const page = await openEditor(browser, server.url);
    expect((await visibleLines(page))[0]).toEqual({ number: "1", text: "id,name" });
    expect((await status(page)).encoding).toBe("UTF-8-BOM");
    await page.keyboard.type("#");
    await page.keyboard.press("Control+s");
    await expect
      .poll(() => messages(page), { timeout: 20_000 })
      .toContainEqual(expect.stringMatching(/^Saved bom\.csv/));
    expect(
      readFileSync(path).equals(
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("#id,name\n1,é\n")]),
      ),
    ).toBe(true);
    await page.context().close();
  });
});
