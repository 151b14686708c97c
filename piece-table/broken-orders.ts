/**
 * Deliberately broken orders of durable I/O: the crash tests' negative controls. Each wraps the
 * I/O seam (`DurableFiles`) and reorders or drops what a correct build does, so a test can prove
 * it would catch that bug; the engine's code paths never know. Chosen by a test (wrapping its
 * recording files) or, for a child process, by GIGAPAD_TEST_BREAK (see durable-files.ts).
 */
import { basename } from "node:path";
import type { AppendFile } from "../native/index.js";
import type { DurableFiles, FileHandle } from "./durable-files.js";

export const BROKEN_ORDERS = [
  /** A commit's slot written (and synced) before its record and its added bytes are durable. */
  "slot-before-record",
  /** A commit acknowledged without its slot ever being written. */
  "ack-early",
  /** New folders made without syncing their parents (their entries may vanish with a power cut). */
  "mkdir-without-sync",
  /** A save's temp file renamed over the file without being synced first. */
  "rename-before-sync",
  /** An in-place save's temp file copied into the file without being synced first. */
  "inplace-copy-before-sync",
] as const;
export type BrokenOrder = (typeof BROKEN_ORDERS)[number];

export function isBrokenOrder(name: string): name is BrokenOrder {
  return (BROKEN_ORDERS as readonly string[]).includes(name);
}

/** `io` doing one broken order; every other call goes through unchanged. */
export function withBrokenOrder(io: DurableFiles, order: BrokenOrder): DurableFiles {
  const paths = new Map<FileHandle, string>();
  const nameOf = (handle: FileHandle) => basename(paths.get(handle) ?? "");
  const isRoot = (handle: FileHandle) => nameOf(handle) === "root";
  const isMeta = (handle: FileHandle) => /^meta(\.\d+)?$/.test(nameOf(handle));
  const isSaveTemp = (handle: FileHandle) => /\.gigapad-\d+-\d+\.tmp$/.test(nameOf(handle));
  /**
   * slot-before-record: what a commit makes durable before its slot, held back until the slot is
   * synced — then the record, and the added bytes last.
   */
  const heldRecord: (() => void)[] = [];
  const heldAdd: (() => void)[] = [];
  /** mkdir-without-sync: set right after a folder is made, until another kind of call. */
  let madeFolder = false;

  const broken: Partial<DurableFiles> = {
    open(path, how) {
      const handle = io.open(path, how);
      paths.set(handle, path);
      return handle;
    },
    openReadOnly(path) {
      const handle = io.openReadOnly(path);
      paths.set(handle, path);
      return handle;
    },
    close(handle) {
      paths.delete(handle);
      io.close(handle);
    },
  };
  if (order === "slot-before-record") {
    broken.syncAddBuffer = (add: AppendFile) => heldAdd.push(() => io.syncAddBuffer(add));
    broken.write = (handle, bytes, position) => {
      if (isMeta(handle)) heldRecord.push(() => io.write(handle, Buffer.from(bytes), position));
      else io.write(handle, bytes, position);
    };
    broken.sync = (handle) => {
      if (isMeta(handle)) return void heldRecord.push(() => io.sync(handle));
      io.sync(handle);
      if (isRoot(handle)) for (const step of [...heldRecord.splice(0), ...heldAdd.splice(0)]) step();
    };
  } else if (order === "ack-early") {
    broken.write = (handle, bytes, position) => {
      if (!isRoot(handle)) io.write(handle, bytes, position);
    };
    broken.sync = (handle) => {
      if (!isRoot(handle)) io.sync(handle);
    };
  } else if (order === "mkdir-without-sync") {
    broken.makeDirectory = (path) => {
      io.makeDirectory(path);
      madeFolder = true;
    };
    broken.syncDirectory = (path) => {
      if (!madeFolder) io.syncDirectory(path);
    };
  } else {
    broken.fullSync = (handle) => {
      if (!isSaveTemp(handle)) io.fullSync(handle);
    };
  }
  return new Proxy(io, {
    get(target, name, receiver) {
      const own = broken[name as keyof DurableFiles];
      if (name !== "makeDirectory" && name !== "syncDirectory") madeFolder = false;
      if (own) return own;
      const value = Reflect.get(target, name, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
