import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { filesFromArgv } from "../../electron/argv.js";
import { CLOSE_BUTTONS, type CloseChoice, decideClose } from "../../electron/close-flow.js";
import { MAX_RECENT, RecentFiles } from "../../electron/recent-files.js";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();

describe("the files a command line names", () => {
  it("skips the program, the app path when unpackaged, and switches; resolves against the folder", () => {
    expect(
      filesFromArgv(["/opt/electron", "/app", "a.log", "--inspect", "/abs/b.csv"], "/home/u", false),
    ).toEqual(["/home/u/a.log", "/abs/b.csv"]);
    expect(filesFromArgv(["/opt/Gigapad/gigapad", "--no-sandbox", "x.json"], "/w", true)).toEqual([
      "/w/x.json",
    ]);
    expect(filesFromArgv(["/opt/Gigapad/gigapad", "--", "-odd-name.log"], "/w", true)).toEqual([
      "/w/-odd-name.log",
    ]);
    expect(filesFromArgv(["/opt/electron", "/app"], "/w", false)).toEqual([]);
    // A desktop launcher's file:// URLs.
    expect(filesFromArgv(["/opt/Gigapad/gigapad", "file:///data/my%20log.txt"], "/w", true)).toEqual([
      "/data/my log.txt",
    ]);
  });
});

describe("Open Recent", () => {
  it("keeps the newest first, without duplicates, at most ten, across restarts", () => {
    const file = join(tempDir(), "state", "recent.json");
    const recent = new RecentFiles(file);
    for (let i = 0; i < 12; i++) recent.add(`/f${i}`);
    recent.add("/f5");
    expect(recent.list[0]).toBe("/f5");
    expect(recent.list).toHaveLength(MAX_RECENT);
    expect(new RecentFiles(file).list).toEqual(recent.list);
    recent.remove("/f5");
    expect(recent.list).not.toContain("/f5");
    recent.clear();
    expect(new RecentFiles(file).list).toEqual([]);
  });

  it("starts over from a damaged list instead of failing", () => {
    const file = join(tempDir(), "recent.json");
    writeFileSync(file, "{not json");
    expect(new RecentFiles(file).list).toEqual([]);
    writeFileSync(file, JSON.stringify(["/ok", 42, null]));
    expect(new RecentFiles(file).list).toEqual(["/ok"]);
    new RecentFiles(file).add("/new");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(["/new", "/ok"]);
  });
});

describe("closing a window with unsaved changes", () => {
  const saved = async () => ({ ok: true as const });
  const never = async (): Promise<CloseChoice> => {
    throw new Error("should not ask");
  };
  const silent = async () => {};

  it("asks Save / Don't Save / Cancel only when the content differs from the file", async () => {
    expect(CLOSE_BUTTONS.map((button) => button.label)).toEqual(["Save", "Don't Save", "Cancel"]);
    expect(await decideClose({ modified: false, name: "a.log" }, never, saved, silent)).toEqual({
      close: true,
      release: "keep",
    });
    const asked: string[] = [];
    const answer = (choice: CloseChoice) => async (name: string) => {
      asked.push(name);
      return choice;
    };
    expect(await decideClose({ modified: true, name: "a.log" }, answer("save"), saved, silent)).toEqual({
      close: true,
      release: "keep",
    });
    expect(await decideClose({ modified: true, name: "a.log" }, answer("discard"), saved, silent)).toEqual({
      close: true,
      release: "discard",
    });
    expect(await decideClose({ modified: true, name: "a.log" }, answer("cancel"), saved, silent)).toEqual({
      close: false,
      release: "keep",
    });
    expect(asked).toEqual(["a.log", "a.log", "a.log"]);
  });

  it("keeps the window open when the save fails, and says why", async () => {
    const reports: string[] = [];
    const decision = await decideClose(
      { modified: true, name: "a.log" },
      async () => "save",
      async () => ({ ok: false, message: "the disk is full" }),
      async (message) => {
        reports.push(message);
      },
    );
    expect(decision).toEqual({ close: false, release: "keep" });
    expect(reports).toEqual([
      "a.log was not saved: the disk is full. The window stays open; your edits are safe.",
    ]);
  });
});
