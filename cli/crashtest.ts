/** `gigapad crashtest [FILE] [--kills N] [--crash-points] [--dir DIR] [--json]` */
import { parseArgs } from "node:util";
import { runCrashCampaign } from "../piece-table/crash-campaign.js";
import { formatBytes } from "../protocol/format-bytes.js";
import { CliError } from "./cli-error.js";

const USAGE = "gigapad crashtest [FILE] [--kills N] [--crash-points] [--dir DIR] [--json]";

export async function crashtestCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nusage: ${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new CliError(`crashtest takes at most one FILE\nusage: ${USAGE}`, 2);
  const kills = Number(values.kills ?? "20");
  if (!Number.isInteger(kills) || kills < 0)
    throw new CliError(`--kills takes a whole number, not ${values.kills}`, 2);
  const showProgress = process.stderr.isTTY && !values.json;
  const result = await runCrashCampaign({
    ...(positionals[0] ? { file: positionals[0] } : {}),
    ...(values.dir ? { dir: values.dir } : {}),
    kills,
    crashPoints: values["crash-points"] ?? false,
    onProgress: showProgress
      ? (done, total) =>
          process.stderr.write(`\rcrashtest: trial ${done} of ${total}${done === total ? "\n" : ""}`)
      : undefined,
  });
  if (values.json) {
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

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      kills: { type: "string" },
      "crash-points": { type: "boolean" },
      dir: { type: "string" },
      json: { type: "boolean" },
    },
  });
}
