/**
 * What `gigapad recover` does, as a library: list a file's sessions, export one without
 * touching the file, restore one into the file (an atomic replace), or discard them.
 */
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { durableIo, openMappedFile } from "../native/index.js";
import { systemFiles } from "./durable-files.js";
import { open } from "./open-document.js";
import { identityOf } from "./original-identity.js";
import { ADDED, singlePieceTree } from "./piece-tree.js";
import { publishTempFile, resolveTarget, writeTempFile } from "./save.js";
import { defaultStateDirectory, SESSION_FILES, sessionFolderFor } from "./session-folder.js";
import { type RootSlot, SLOT_BLOCK_BYTES } from "./session-format.js";
import { everCommitted, pickSlot, readCommitted } from "./session-reader.js";

export interface SessionInfo {
  folder: string;
  /** The file's live session, or one open() set aside earlier. */
  kind: "current" | "set-aside";
  /**
   * `no commits yet`: a live session (a running Gigapad holds it) that has not committed;
   * `empty`: one nobody holds that never committed (its process died first) — nothing to recover.
   */
  status: "matches the file" | "file changed on disk" | "unreadable" | "no commits yet" | "empty";
  committedAt: Date | null;
  edits: number;
  /** Bytes of the recovered document, and its difference to the file on disk now. */
  documentLength: number | null;
  sizeDelta: number | null;
  /** Whether a running Gigapad holds it. */
  locked: boolean;
}

export interface RecoverOptions {
  stateDir?: string;
}

/** Copies at most this much per read while exporting. */
const _EXPORT_CHUNK_BYTES = 16 * 1024 * 1024;

/** The sessions kept for a file: its current one and any set aside, newest first. */
export function listSessions(path: string, options: RecoverOptions = {}): SessionInfo[] {
  const absolute = resolve(path);
  const current = sessionFolderFor(absolute, options.stateDir ?? defaultStateDirectory());
  const parent = dirname(current);
  const folders: { folder: string; kind: SessionInfo["kind"] }[] = [];
  if (existsSync(current)) folders.push({ folder: current, kind: "current" });
  if (existsSync(parent)) {
    for (const name of readdirSync(parent)) {
      if (name.startsWith(`${basename(current)}.set-aside-`))
        folders.push({ folder: join(parent, name), kind: "set-aside" });
    }
  }
  const original = openMappedFile(absolute);
  try {
    const identity = identityOf(original);
    return folders.map(({ folder, kind }) => describe(folder, kind, identity, original.size));
  } finally {
    original.close();
  }
}

function newestSlot(folder: string): RootSlot | null {
  const rootPath = join(folder, SESSION_FILES.root);
  if (!existsSync(rootPath)) return null;
  const fd = openSync(rootPath, "r");
  try {
    return pickSlot(durableIo.pread(fd, 2 * SLOT_BLOCK_BYTES, 0))?.slot ?? null;
  } finally {
    closeSync(fd);
  }
}

function isLocked(folder: string): boolean {
  const lockPath = join(folder, "lock");
  if (!existsSync(lockPath)) return false;
  const fd = openSync(lockPath, "r");
  try {
    const taken = durableIo.lock(fd, { mode: "exclusive", wait: "no-wait" }, lockPath);
    if (taken) durableIo.unlock(fd);
    return !taken;
  } finally {
    closeSync(fd);
  }
}

function describe(
  folder: string,
  kind: SessionInfo["kind"],
  identity: ReturnType<typeof identityOf>,
  fileSize: number,
): SessionInfo {
  const recovered = readCommitted(folder, identity);
  const slot = recovered.committed?.slot ?? recovered.staleSlot ?? newestSlot(folder);
  const hasData = Object.values(SESSION_FILES).some((name) => {
    const file = join(folder, name);
    return existsSync(file) && statSync(file).size > 0;
  });
  const locked = isLocked(folder);
  const status: SessionInfo["status"] = recovered.committed
    ? "matches the file"
    : recovered.staleSlot
      ? "file changed on disk"
      : !everCommitted(folder)
        ? locked
          ? "no commits yet"
          : "empty"
        : hasData
          ? "unreadable"
          : "empty";
  return {
    folder,
    kind,
    status,
    committedAt: slot ? new Date(slot.committedAt) : null,
    edits: slot?.edits ?? 0,
    documentLength: slot?.documentLength ?? null,
    sizeDelta: slot && status === "matches the file" ? slot.documentLength - fileSize : null,
    locked,
  };
}

/**
 * Exports a session without touching the file: the recovered document for a session that
 * matches the file, or — for one made over a different version of the file — the text that was
 * inserted in it (the add buffer up to its last commit). Written like a save: temp file, fsync,
 * rename, fsync of the folder. Returns the bytes written.
 */
export async function exportSession(
  path: string,
  outPath: string,
  options: RecoverOptions & { folder?: string } = {},
): Promise<{ bytes: number; what: "document" | "inserted text" }> {
  const absolute = resolve(path);
  const stateDir = options.stateDir ?? defaultStateDirectory();
  const sessions = listSessions(absolute, { stateDir });
  const chosen = options.folder ? sessions.find((s) => s.folder === resolve(options.folder!)) : sessions[0];
  if (!chosen) throw new Error(`no session${options.folder ? ` at ${options.folder}` : ""} for ${absolute}`);
  const target = resolveTarget(outPath);
  if (target === resolveTarget(absolute)) {
    throw new Error("export writes a new file; use --restore to write into the file");
  }
  const mode = 0o666 & ~process.umask();
  if (chosen.kind === "current" && chosen.status === "matches the file") {
    const doc = await open(absolute, { readOnly: true, stateDir });
    try {
      const { root, original, add } = doc.snapshot();
      const written = await writeTempFile(root, original, add, target, mode, systemFiles, {});
      publishTempFile(written.tempPath, target, systemFiles);
      return { bytes: root.length, what: "document" };
    } finally {
      await doc.close();
    }
  }
  // Inserted text only: the add buffer as far as its last commit reached (all of it if unknown).
  const addPath = join(chosen.folder, SESSION_FILES.add);
  if (!existsSync(addPath)) throw new Error(`session ${chosen.folder} has no inserted text`);
  const slot = newestSlot(chosen.folder);
  const add = openMappedFile(addPath);
  try {
    const length = Math.min(add.size, slot?.addLength ?? add.size);
    const written = await writeTempFile(
      singlePieceTree(ADDED, 0, length, Number.NaN),
      add,
      add,
      target,
      mode,
      systemFiles,
      {},
    );
    publishTempFile(written.tempPath, target, systemFiles);
    return { bytes: length, what: "inserted text" };
  } finally {
    add.close();
  }
}

/**
 * Writes the recovered document into the file itself — a save (atomic, through a symlink,
 * keeping the mode) of the document open() restores — then drops the session, whose edits the
 * file now holds.
 */
export async function restoreSession(path: string, options: RecoverOptions = {}): Promise<number> {
  const absolute = resolve(path);
  const stateDir = options.stateDir ?? defaultStateDirectory();
  const current = listSessions(absolute, { stateDir }).find((s) => s.kind === "current");
  if (current?.status !== "matches the file") {
    throw new Error(`no session of ${absolute} matches the file as it is now; use --export to get its text`);
  }
  const doc = await open(absolute, { stateDir });
  try {
    await doc.save();
  } catch (error) {
    // Nothing lost: the session stays for another try.
    await doc.close();
    throw error;
  }
  const length = doc.length;
  await doc.discard();
  return length;
}

/** Removes every session kept for the file (refusing one a running Gigapad holds). */
export function discardSessions(path: string, options: RecoverOptions = {}): number {
  const sessions = listSessions(path, options);
  const held = sessions.find((s) => s.locked);
  if (held) throw new Error(`a running Gigapad holds ${held.folder}; close the file there first`);
  for (const session of sessions) rmSync(session.folder, { recursive: true, force: true });
  return sessions.length;
}
