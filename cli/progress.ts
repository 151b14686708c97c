/** A progress bar on the terminal for long index builds; silent for quick ones. */
import cliProgress from "cli-progress";
import type { IndexProgress } from "../piece-table/index.js";

/** Work shorter than this shows no bar at all. */
const SHOW_AFTER_MS = 300;

/** A bar for any long job that reports bytes done of bytes total (indexing, saving). */
export class IndexProgressBar {
  private readonly startedAt = Date.now();
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label = "indexing",
  ) {}

  update(progress: IndexProgress): void {
    if (!this.bar) {
      if (Date.now() - this.startedAt < SHOW_AFTER_MS || progress.bytesDone >= progress.bytesTotal) return;
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `${this.label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | eta {eta}s`,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(progress.bytesTotal, progress.bytesDone, this.payload(progress));
      return;
    }
    this.bar.update(progress.bytesDone, this.payload(progress));
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(progress: IndexProgress) {
    return {
      doneMiB: Math.round(progress.bytesDone / 1024 / 1024),
      totalMiB: Math.round(progress.bytesTotal / 1024 / 1024),
    };
  }
}

/** A bar for jobs counted in steps (crashtest's trials): `crashtest [████░░░░] 3/20 trials | eta 12s`. */
export class CountProgressBar {
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly label: string,
    private readonly unit: string,
  ) {}

  update(done: number, total: number): void {
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `${this.label} [{bar}] {value}/{total} ${this.unit} | eta {eta}s`,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, done);
      return;
    }
    this.bar.update(done);
  }

  stop(): void {
    this.bar?.stop();
  }
}
