/**
 * Where a document's session lives — `<stateDir>/sessions/<key>/`, and the files in it — and who
 * owns it: one process at a time, by an exclusive flock on `<folder>/lock` (the file also names
 * the holder's pid).
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
} from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { durableIo } from "../native/index.js";
import { type DurableFiles, makeDurableDirectory, systemFiles } from "./durable-files.js";

/** The data files of a session folder (besides its lock): see session-store.ts. */
export const SESSION_FILES = { add: "add.buf", meta: "meta", root: "root" } as const;

/** The meta file of a generation: `meta`, then `meta.1`, `meta.2`, ... after compactions. */
export function metaFileName(generation: number): string {
  return generation === 0 ? SESSION_FILES.meta : `${SESSION_FILES.meta}.${generation}`;
}

/** Whether a file in a session folder is a meta file (of any generation). */
export function isMetaFileName(name: string): boolean {
  return /^meta(\.\d+)?$/.test(name);
}

/** The user's state folder for Gigapad: GIGAPAD_STATE_DIR, else the platform's convention. */
export function defaultStateDirectory(): string {
  const override = process.env.GIGAPAD_STATE_DIR;
  if (override) return resolve(override);
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "Gigapad");
  if (process.platform === "win32") {
    return join(process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "Gigapad");
  }
  return join(process.env.XDG_STATE_HOME ?? join(homedir(), ".local", "state"), "gigapad");
}

/** The session folder of a document: a hash of its real path, plus its name for people reading the folder. */
export function sessionFolderFor(documentPath: string, stateDirectory: string): string {
  let real: string;
  try {
    real = realpathSync(documentPath);
  } catch {
    real = resolve(documentPath);
  }
  const key = createHash("sha256").update(real).digest("hex").slice(0, 20);
  const name = basename(real)
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 40);
  return join(stateDirectory, "sessions", `${key}-${name}`);
}

/** Error thrown when another process holds a document's session. */
export class SessionLockedError extends Error {
  readonly code = "ESESSIONLOCKED";
  constructor(
    readonly documentPath: string,
    readonly holderPid: number | null,
  ) {
    super(
      `${documentPath} is already open in another Gigapad process${holderPid ? ` (pid ${holderPid})` : ""}; ` +
        "close it there, or open this one read-only ({ readOnly: true })",
    );
    this.name = "SessionLockedError";
  }
}

export class SessionFolder {
  private constructor(
    private folder: string,
    private lockFd: number | null,
  ) {}

  get path(): string {
    return this.folder;
  }

  /**
   * Renames the folder to the session folder of another document path (save-as), keeping the
   * lock (it is held on the open lock file, which moves with the folder). A session already
   * there that nobody holds is set aside first; one that somebody holds makes this throw.
   */
  moveTo(documentPath: string, stateDirectory: string): void {
    const target = sessionFolderFor(documentPath, stateDirectory);
    if (target === this.folder) return;
    if (existsSync(target)) {
      const other = SessionFolder.acquire(documentPath, stateDirectory);
      // A session with data is kept (set aside); an empty one just goes.
      if (readdirSync(target).some((name) => name !== "lock"))
        renameSync(target, `${target}.set-aside-${Date.now()}`);
      else rmSync(target, { recursive: true, force: true });
      other.release();
    }
    makeDurableDirectory(dirname(target));
    renameSync(this.folder, target);
    durableIo.syncDirectory(dirname(target));
    this.folder = target;
  }

  /** Throws SessionLockedError if another process holds the document's session (creates nothing). */
  static assertNotHeld(documentPath: string, stateDirectory: string): void {
    const lockPath = join(sessionFolderFor(documentPath, stateDirectory), "lock");
    if (!existsSync(lockPath)) return;
    const fd = openSync(lockPath, "r");
    try {
      if (durableIo.lock(fd, { mode: "exclusive", wait: "no-wait" }, lockPath)) {
        durableIo.unlock(fd);
        return;
      }
      const pid = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
      throw new SessionLockedError(documentPath, Number.isFinite(pid) ? pid : null);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Creates the folder if needed — durably, with the state folder and its parents — and takes its
   * lock, or throws SessionLockedError.
   */
  static acquire(
    documentPath: string,
    stateDirectory: string,
    io: DurableFiles = systemFiles,
  ): SessionFolder {
    const folder = sessionFolderFor(documentPath, stateDirectory);
    makeDurableDirectory(folder, io);
    const lockPath = join(folder, "lock");
    const fd = openSync(lockPath, "a+", 0o600);
    let taken = false;
    try {
      taken = durableIo.lock(fd, { mode: "exclusive", wait: "no-wait" }, lockPath);
      if (!taken) {
        const pid = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
        throw new SessionLockedError(documentPath, Number.isFinite(pid) ? pid : null);
      }
      // Name the holder for whoever finds the folder locked. The lock, not this text, is the truth.
      const fdForWrite = openSync(lockPath, "r+");
      try {
        durableIo.pwrite(fdForWrite, Buffer.from(`${process.pid}\n`.padEnd(16, " ")), 0, lockPath);
      } finally {
        closeSync(fdForWrite);
      }
    } catch (error) {
      if (taken) durableIo.unlock(fd);
      closeSync(fd);
      throw error;
    }
    return new SessionFolder(folder, fd);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Gives up the lock. Idempotent. */
  release(): void {
    if (this.lockFd === null) return;
    closeSync(this.lockFd);
    this.lockFd = null;
  }

  /** Removes the folder and everything in it, then releases the lock. */
  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
    this.release();
  }
}
