/** `gigapad crashtest [FILE] [--kills N] [--crash-points] [--dir DIR] [--json]` */
import { formatBytes } from "../presentation/format-bytes.js";
import { badUsage } from "./cli-error.js";
import { runCrashCampaign } from "./crash-campaign.js";
import { assertReadableFile } from "./readable-file.js";

export interface CrashtestOptions {
  kills?: string;
  crashPoints?: boolean;
  dir?: string;
  json?: boolean;
}

/** Runs the campaign; resolves to the exit code (1 if any recovery was wrong). */
export async function crashtestCommand(file: string | undefined, options: CrashtestOptions): Promise<number> {
  const kills = Number(options.kills ?? "20");
  if (!/^\d+$/.test(options.kills ?? "20")) {
    throw badUsage("crashtest", `--kills takes a whole number, got '${options.kills}'`);
  }
  if (file !== undefined) assertReadableFile(file);
  // The bar's library loads only when there is a terminal to draw on.
  const bar =
    process.stderr.isTTY && !options.json
      ? new (await import("./progress.js")).CountProgressBar(process.stderr, "crashtest", "trials")
      : null;
  let result: Awaited<ReturnType<typeof runCrashCampaign>>;
  try {
    result = await runCrashCampaign({
      ...(file !== undefined ? { file } : {}),
      ...(options.dir ? { dir: options.dir } : {}),
      kills,
      crashPoints: options.crashPoints ?? false,
      onProgress: bar ? (done, total) => bar.update(done, total) : undefined,
    });
  } finally {
    bar?.stop();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const rows = [
      ["file", result.file ?? "(generated log)"],
      ["size", formatBytes(result.bytes)],
      ["tested in", result.dir],
      ["trials", String(result.trials)],
      ["recovered exactly", String(result.recoveredExactly)],
      ["violations", String(result.violations.length)],
      ["time", `${result.seconds.toFixed(1)} s`],
    ];
    for (const [name, value] of rows) process.stdout.write(`${name!.padEnd(18)}${value}\n`);
    for (const violation of result.violations)
      process.stdout.write(`violation: ${violation.trial}: ${violation.problem}\n`);
  }
  return result.violations.length === 0 ? 0 : 1;
}
