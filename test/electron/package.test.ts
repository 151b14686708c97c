/**
 * Packaging with electron-builder — without an Electron binary (it cannot be downloaded here): a
 * stand-in electronDist and npmRebuild false, target "dir". Checks the layout the app relies on:
 * app.asar with the windows' code and UI, and outside it the engine, its modules and the N-API
 * addon, which must load from there.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../helpers/temp-dir.js";

const tempDir = useTempDirs();
/** Where Electron's binary keeps its fuse wire (see @electron/fuses). */
const FUSE_SENTINEL = "dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX";
/**
 * Electron's fuses as its binary ships them, "1" on, "0" off, in @electron/fuses' V1 order: run as
 * node, cookie encryption, NODE_OPTIONS, --inspect, asar integrity, only app.asar, browser V8
 * snapshot, file:// privileges.
 */
const ELECTRON_DEFAULT_FUSES = "10110001";
const repo = join(import.meta.dirname, "..", "..");
const require = createRequire(import.meta.url);

describe("desktop packaging (electron-builder, stand-in Electron)", () => {
  it("puts the UI in app.asar and the engine with its native addon outside it, loadable from there", () => {
    const work = tempDir();
    // A project folder holding what a release build has: compiled code, the prebuilt addon.
    const project = join(work, "project");
    mkdirSync(join(project, "native", "prebuilds", `${process.platform}-${process.arch}`), {
      recursive: true,
    });
    copyFileSync(join(repo, "package.json"), join(project, "package.json"));
    cpSync(join(repo, "dist"), join(project, "dist"), { recursive: true });
    cpSync(join(repo, "build"), join(project, "build"), { recursive: true });
    copyFileSync(join(repo, "native", "binding.gyp"), join(project, "native", "binding.gyp"));
    const addon = (require("node-gyp-build") as { resolve(dir: string): string }).resolve(
      join(repo, "native"),
    );
    copyFileSync(
      addon,
      join(project, "native", "prebuilds", `${process.platform}-${process.arch}`, "gigapad.node"),
    );
    symlinkSync(join(repo, "node_modules"), join(project, "node_modules"));
    const electronDist = join(work, "electron-dist");
    mkdirSync(electronDist);
    // With a fuse wire as Electron's binary has one (@electron/fuses finds it by its sentinel):
    // version 1, 8 fuses in Electron's default states.
    writeFileSync(
      join(electronDist, "electron"),
      Buffer.concat([
        Buffer.from(`#!/bin/sh\necho stand-in\nexit 0\n${FUSE_SENTINEL}`),
        Buffer.from([1, ELECTRON_DEFAULT_FUSES.length]),
        Buffer.from(ELECTRON_DEFAULT_FUSES),
      ]),
    );
    chmodSync(join(electronDist, "electron"), 0o755);
    const release = join(work, "release");

    const built = spawnSync(
      process.execPath,
      [
        join(repo, "node_modules", "electron-builder", "cli.js"),
        "--projectDir",
        project,
        "--config",
        "build/electron-builder.yml",
        "--linux",
        "dir",
        `-c.electronDist=${electronDist}`,
        "-c.npmRebuild=false",
        `-c.directories.output=${release}`,
      ],
      {
        encoding: "utf8",
        timeout: 180_000,
        env: { ...process.env, ELECTRON_BUILDER_CACHE: join(work, "cache") },
      },
    );
    expect(built.status, built.stdout + built.stderr).toBe(0);

    // The fuses were flipped in the packaged binary: no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or
    // --inspect, encrypted cookies, only an integrity-checked app.asar, no file:// privileges.
    const binary = readFileSync(join(release, "linux-unpacked", "gigapad"));
    const wire = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    expect(binary.subarray(wire + 2, wire + 2 + binary[wire + 1]!).toString()).toBe("01001100");

    const resources = join(release, "linux-unpacked", "resources");
    expect(existsSync(join(resources, "app.asar"))).toBe(true);
    const listed = spawnSync(
      process.execPath,
      [
        join(repo, "node_modules", "@electron", "asar", "bin", "asar.js"),
        "list",
        join(resources, "app.asar"),
      ],
      {
        encoding: "utf8",
      },
    );
    expect(listed.status, listed.stderr).toBe(0);
    const inArchive = new Set(listed.stdout.trim().split("\n"));
    for (const entry of [
      "/package.json",
      "/dist/electron/main.js",
      "/dist/electron/preload.cjs",
      "/dist/renderer/index.html",
      "/dist/renderer/app.js",
    ]) {
      expect(inArchive.has(entry), entry).toBe(true);
    }
    // Only node-gyp-build from node_modules in the archive: the UI's libraries are bundled, the
    // build tools stay out (the engine's encodings modules are copied beside it, below).
    expect([...inArchive].filter((entry) => /^\/node_modules\/[^/]+$/.test(entry))).toEqual([
      "/node_modules/node-gyp-build",
    ]);
    expect([...inArchive].some((entry) => entry.endsWith(".map"))).toBe(false);

    const unpacked = join(resources, "app.asar.unpacked");
    for (const entry of [
      "package.json",
      "dist/electron/engine-process.js",
      "dist/host/engine-host.js",
      "dist/piece-table/document.js",
      "dist/native/index.js",
      "native/binding.gyp",
      `native/prebuilds/${process.platform}-${process.arch}/gigapad.node`,
      "node_modules/node-gyp-build/index.js",
      "node_modules/chardet/package.json",
      "node_modules/iconv-lite/package.json",
      "node_modules/safer-buffer/package.json",
    ]) {
      expect(existsSync(join(unpacked, entry)), entry).toBe(true);
    }

    // The unpacked engine runs from there: it opens and reads a file with the packaged addon.
    const file = join(work, "sample.log");
    writeFileSync(file, "packaged engine\n");
    const probe = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { EngineHost } = await import(${JSON.stringify(join(unpacked, "dist/host/engine-host.js"))});
         const engine = new EngineHost({ stateDir: ${JSON.stringify(join(work, "state"))} });
         const document = await engine.open(${JSON.stringify(file)});
         process.stdout.write(document.doc.getText() + document.info().encoding);
         await engine.closeAll();`,
      ],
      { encoding: "utf8" },
    );
    expect(probe.stderr).toBe("");
    // The encodings' modules (chardet, iconv-lite) load from there too.
    expect(probe.stdout).toBe("packaged engine\nascii");
    // The utility process entry refuses to run outside Electron, after loading everything it needs.
    const entry = spawnSync(process.execPath, [join(unpacked, "dist/electron/engine-process.js")], {
      encoding: "utf8",
    });
    expect(entry.status).toBe(2);
    expect(entry.stderr).toMatch(/runs inside the desktop app/);
  }, 240_000);
});
