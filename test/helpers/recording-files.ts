/**
 * The recording side of the I/O seam (CRASH-SAFETY.md, tier 2): performs the real operations
 * and keeps a log of them, from which `crashStates` materialises what a disk could hold after a
 * power loss at any point: synced data, any subset of unsynced writes, writes torn at 512-byte
 * sectors, files whose directory entry was never synced, and garbage or zeros after the synced
 * end of the add buffer.
 */
import { existsSync } from "node:fs";
import { basename, dirname } from "node:path";
import type { AppendFile } from "../../native/index.js";
import {
  type CopySource,
  type DurableFiles,
  type FileHandle,
  type OpenMode,
  systemFiles,
} from "../../piece-table/durable-files.js";

export type LoggedOp =
  | { type: "create"; path: string }
  | { type: "write"; path: string; position: number; bytes: Buffer }
  /** The file's size set (ftruncate): like a write, lost unless the file is synced after it. */
  | { type: "truncate"; path: string; length: number }
  | { type: "sync"; path: string }
  | { type: "syncDir"; path: string }
  /** A directory created: its entry is durable once its parent is synced after this. */
  | { type: "mkdir"; path: string }
  /** The add buffer synced: its first `bytes.length` bytes are durable. */
  | { type: "addSync"; path: string; bytes: Buffer }
  | { type: "remove"; path: string }
  | { type: "rename"; from: string; to: string }
  | { type: "marker"; label: string };

export class RecordingFiles implements DurableFiles {
  readonly log: LoggedOp[] = [];
  private readonly paths = new Map<FileHandle, string>();

  note(label: string): void {
    this.log.push({ type: "marker", label });
  }

  open(path: string, how: OpenMode): FileHandle {
    const isNew = !existsSync(path);
    const handle = systemFiles.open(path, how);
    if (isNew) this.log.push({ type: "create", path });
    this.paths.set(handle, path);
    return handle;
  }
  openReadOnly(path: string): FileHandle {
    return systemFiles.openReadOnly(path);
  }
  size(handle: FileHandle): number {
    return systemFiles.size(handle);
  }
  write(handle: FileHandle, bytes: Uint8Array, position: number): void {
    systemFiles.write(handle, bytes, position);
    this.log.push({ type: "write", path: this.paths.get(handle)!, position, bytes: Buffer.from(bytes) });
  }
  truncate(handle: FileHandle, length: number): void {
    systemFiles.truncate(handle, length);
    this.log.push({ type: "truncate", path: this.paths.get(handle)!, length });
  }
  read(handle: FileHandle, length: number, position: number): Buffer {
    return systemFiles.read(handle, length, position);
  }
  sync(handle: FileHandle): void {
    systemFiles.sync(handle);
    this.log.push({ type: "sync", path: this.paths.get(handle)! });
  }
  fullSync(handle: FileHandle): void {
    systemFiles.fullSync(handle);
    this.log.push({ type: "sync", path: this.paths.get(handle)! });
  }
  copyInto(handle: FileHandle, position: number, source: CopySource, start: number, end: number): void {
    systemFiles.copyInto(handle, position, source, start, end);
    this.log.push({ type: "write", path: this.paths.get(handle)!, position, bytes: source.read(start, end) });
  }
  rename(from: string, to: string): void {
    systemFiles.rename(from, to);
    this.log.push({ type: "rename", from, to });
  }
  syncDirectory(path: string): void {
    systemFiles.syncDirectory(path);
    this.log.push({ type: "syncDir", path });
  }
  makeDirectory(path: string): void {
    const isNew = !existsSync(path);
    systemFiles.makeDirectory(path);
    if (isNew) this.log.push({ type: "mkdir", path });
  }
  syncAddBuffer(add: AppendFile): void {
    systemFiles.syncAddBuffer(add);
    this.log.push({ type: "addSync", path: add.path, bytes: add.read(0, add.length) });
  }
  close(handle: FileHandle): void {
    this.paths.delete(handle);
    systemFiles.close(handle);
  }
  remove(path: string): void {
    systemFiles.remove(path);
    this.log.push({ type: "remove", path });
  }
}

/** One possible disk after a power loss: file name → content, or absent. */
export interface CrashState {
  cut: number;
  description: string;
  files: Map<string, Buffer>;
}

const SECTOR = 512;

function applyWrite(
  content: Buffer,
  position: number,
  bytes: Buffer,
  sectors?: boolean[],
  sector = SECTOR,
): Buffer {
  const end = position + bytes.length;
  const out = Buffer.alloc(Math.max(content.length, end));
  content.copy(out);
  if (!sectors) {
    bytes.copy(out, position);
    return out;
  }
  // A torn write: each sector of the file (512 B or 4 KiB) holds either the old or the new bytes.
  for (let at = position; at < end; ) {
    const sectorEnd = Math.min(end, (Math.floor(at / sector) + 1) * sector);
    if (sectors[Math.floor(at / sector) - Math.floor(position / sector)]) {
      bytes.copy(out, at, at - position, sectorEnd - position);
    }
    at = sectorEnd;
  }
  // Sectors past the old end that stayed "old" read as zeros.
  return out;
}

function applyTruncate(content: Buffer, length: number): Buffer {
  if (length <= content.length) return content.subarray(0, length);
  return Buffer.concat([content, Buffer.alloc(length - content.length)]);
}

/** A seeded generator for sampling variants. */
export class Random {
  constructor(private state: number) {}
  below(bound: number): number {
    this.state = (this.state * 48271) % 2147483647;
    return this.state % bound;
  }
}

/**
 * Crash states of the log up to each cut point (ops [0, cut) issued). For each cut: the synced
 * state, each unsynced write applied or not (all combinations up to 2^3, sampled beyond), each
 * unsynced write torn at sectors (sampled), files whose directory entry is unsynced absent, and
 * the add buffer's unsynced tail as nothing, zeros or garbage.
 */
export function* crashStates(
  log: LoggedOp[],
  random: Random,
  /** Variants per cut: a number, or one per cut (to spend the budget where writes are pending). */
  perCut: number | ((cut: number) => number),
  /** Files that existed before the log began (durable), e.g. the document a save replaces. */
  initial: Map<string, Buffer> = new Map(),
): Generator<CrashState> {
  type Pending = { position: number; bytes: Buffer } | { truncate: number };
  type FileModel = { durable: Buffer; pending: Pending[] };
  for (let cut = 0; cut <= log.length; cut++) {
    const issued = log.slice(0, cut);
    const files = new Map<string, FileModel>();
    for (const [path, bytes] of initial) files.set(path, { durable: bytes, pending: [] });
    const renames: {
      from: string;
      to: string;
      index: number;
      moved: FileModel;
      previous: FileModel | undefined;
    }[] = [];
    const createdAt = new Map<string, number>();
    const dirCreatedAt = new Map<string, number>();
    const removedAt = new Map<string, number>();
    const syncedDirs = new Map<string, number>();
    let addDurable: { path: string; bytes: Buffer } | null = null;
    issued.forEach((op, index) => {
      if (op.type === "create") {
        createdAt.set(op.path, index);
        files.set(op.path, { durable: Buffer.alloc(0), pending: [] });
      } else if (op.type === "write") {
        const file = files.get(op.path) ?? { durable: Buffer.alloc(0), pending: [] };
        file.pending.push({ position: op.position, bytes: op.bytes });
        files.set(op.path, file);
      } else if (op.type === "sync") {
        const file = files.get(op.path);
        if (file) {
          for (const write of file.pending) {
            file.durable =
              "truncate" in write
                ? applyTruncate(file.durable, write.truncate)
                : applyWrite(file.durable, write.position, write.bytes);
          }
          file.pending = [];
        }
      } else if (op.type === "truncate") {
        const file = files.get(op.path) ?? { durable: Buffer.alloc(0), pending: [] };
        file.pending.push({ truncate: op.length });
        files.set(op.path, file);
      } else if (op.type === "remove") {
        removedAt.set(op.path, index);
      } else if (op.type === "rename") {
        const moved = files.get(op.from);
        if (moved) {
          renames.push({ from: op.from, to: op.to, index, moved, previous: files.get(op.to) });
          files.set(op.to, moved);
          files.delete(op.from);
          // The new name exists from here on, whatever happened to its old entry.
          createdAt.delete(op.to);
          removedAt.delete(op.to);
        }
      } else if (op.type === "syncDir") {
        syncedDirs.set(op.path, index);
      } else if (op.type === "mkdir") {
        dirCreatedAt.set(op.path, index);
      } else if (op.type === "addSync") {
        addDurable = { path: op.path, bytes: op.bytes };
      }
    });
    // add.buf is created by the native AppendFile, beside the first file the store creates.
    const addPath = (addDurable as { path: string } | null)?.path;
    if (addPath && !createdAt.has(addPath)) {
      const sibling = issued.findIndex((op) => op.type === "create" && dirname(op.path) === dirname(addPath));
      if (sibling >= 0) createdAt.set(addPath, sibling);
    }
    const entryDurable = (path: string) => {
      const created = createdAt.get(path);
      if (created === undefined) return true; // existed before the log began
      const synced = syncedDirs.get(dirname(path));
      return synced !== undefined && synced > created;
    };
    // Directories created in the log whose entry is not durable (their parent was not synced
    // after): a power cut may lose them, and with them everything inside.
    const fragileDirs = [...dirCreatedAt].filter(([dir, created]) => {
      const synced = syncedDirs.get(dirname(dir));
      return synced === undefined || synced < created;
    });
    const insideLost = (path: string, lost: Set<string>) => {
      for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) if (lost.has(dir)) return true;
      return false;
    };
    const variants = Math.max(1, typeof perCut === "number" ? perCut : perCut(cut));
    for (let variant = 0; variant < variants; variant++) {
      const out = new Map<string, Buffer>();
      const notes: string[] = [];
      const lostDirs = new Set<string>();
      for (const [dir] of fragileDirs) {
        if (variant === 0 || (variant !== 1 && random.below(2) === 0)) {
          lostDirs.add(dir);
          notes.push(`folder ${basename(dir)} lost`);
        }
      }
      // A rename is durable once its directory is synced; before that, either name may show.
      const view = new Map(files);
      for (const rename of [...renames].reverse()) {
        const synced = syncedDirs.get(dirname(rename.to));
        if (synced !== undefined && synced > rename.index) continue;
        if (variant !== 1 && (variant === 0 || random.below(2) === 0)) {
          if (rename.previous) view.set(rename.to, rename.previous);
          else view.delete(rename.to);
          view.set(rename.from, rename.moved);
          notes.push(`rename to ${basename(rename.to)} lost`);
        }
      }
      for (const [path, file] of view) {
        if (insideLost(path, lostDirs)) continue;
        const removed = removedAt.get(path);
        if (removed !== undefined) {
          // Gone once its directory was synced after the removal; until then, maybe still there.
          const synced = syncedDirs.get(dirname(path));
          if ((synced !== undefined && synced > removed) || random.below(2) === 0) {
            notes.push(`${basename(path)} removed`);
            continue;
          }
        }
        if (!entryDurable(path) && random.below(2) === 0) {
          notes.push(`${basename(path)} missing`);
          continue;
        }
        let content = file.durable;
        file.pending.forEach((write, index) => {
          // Variant 0: nothing unsynced arrived; 1: all of it; later ones: sampled among lost,
          // arrived, torn at 512 B or 4 KiB sectors, and space allocated but showing zeros or garbage.
          const mode = variant === 0 ? 0 : variant === 1 ? 1 : random.below(5);
          const name = `${basename(path)} write ${index}`;
          if ("truncate" in write) {
            // A size change arrives whole or not at all.
            if (mode === 1 || (mode > 1 && random.below(2) === 0)) {
              content = applyTruncate(content, write.truncate);
              notes.push(`${basename(path)} truncate ${index} arrived`);
            } else {
              notes.push(`${basename(path)} truncate ${index} lost`);
            }
            return;
          }
          if (mode === 1) {
            content = applyWrite(content, write.position, write.bytes);
            notes.push(`${name} arrived`);
          } else if (mode === 2) {
            const sector = random.below(2) === 0 ? SECTOR : 4096;
            const count = Math.ceil(write.bytes.length / sector) + 1;
            const sectors = Array.from({ length: count }, () => random.below(2) === 1);
            content = applyWrite(content, write.position, write.bytes, sectors, sector);
            notes.push(`${name} torn at ${sector} B`);
          } else if (mode === 3) {
            content = applyWrite(content, write.position, Buffer.alloc(write.bytes.length));
            notes.push(`${name} zeros`);
          } else if (mode === 4) {
            content = applyWrite(content, write.position, garbage(random, write.bytes.length));
            notes.push(`${name} garbage`);
          }
        });
        out.set(path, content);
      }
      const add = addDurable as { path: string; bytes: Buffer } | null;
      if (add && insideLost(add.path, lostDirs)) {
        notes.push("add.buf's folder lost");
      } else if (add && !entryDurable(add.path) && random.below(2) === 0) {
        notes.push("add.buf missing");
      } else if (add) {
        const tail =
          variant % 3 === 0
            ? Buffer.alloc(0)
            : variant % 3 === 1
              ? Buffer.alloc(4096)
              : garbage(random, 4096);
        out.set(add.path, Buffer.concat([add.bytes, tail]));
        if (tail.length > 0) notes.push(`add.buf tail ${variant % 3 === 1 ? "zeros" : "garbage"}`);
      }
      yield { cut, description: notes.join(", ") || "synced state", files: out };
    }
  }
}

function garbage(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.below(256);
  return bytes;
}
