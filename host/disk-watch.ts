/**
 * Watches the document's file for changes made by other programs, by comparing its identity
 * (device, inode, size, mtime) with the one the document holds, every `intervalMs`. A stat every
 * second costs nothing; inotify would miss a file replaced by rename on some filesystems.
 */
import type { FileIdentity } from "../native/index.js";
import { type DiskState, diskStateOf } from "../piece-table/internal.js";

export type { DiskState };

export class DiskWatch {
  private timer: NodeJS.Timeout;
  private state: DiskState = "unchanged";
  private paused = 0;

  constructor(
    private readonly current: () => { path: string; identity: FileIdentity },
    private readonly onChange: (state: DiskState, previous: DiskState) => void,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** The state as of the last check. */
  get lastState(): DiskState {
    return this.state;
  }

  /** Checks now; calls onChange if the state moved. */
  check(): DiskState {
    if (this.paused > 0) return this.state;
    const { path, identity } = this.current();
    const next = diskStateOf(path, identity);
    if (next !== this.state) {
      const previous = this.state;
      this.state = next;
      this.onChange(next, previous);
    }
    return next;
  }

  /**
   * Takes the file as it is now for the state to compare with, without telling anyone (the
   * document took in what another program appended: nothing to report).
   */
  settle(): void {
    const { path, identity } = this.current();
    this.state = diskStateOf(path, identity);
  }

  /** Stops checking while `work` runs (our own save renames the file), then takes a fresh look. */
  async whilePaused<T>(work: () => Promise<T>): Promise<T> {
    this.paused++;
    try {
      return await work();
    } finally {
      this.paused--;
      // Our own save made the file match again: start over from "unchanged".
      if (this.paused === 0) {
        const { path, identity } = this.current();
        this.state = diskStateOf(path, identity);
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
