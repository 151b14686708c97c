/** `gigapad recover FILE [--export OUT] [--session FOLDER] [--restore] [--discard] [--json]` */
import { parseArgs } from "node:util";
import { discardSessions, exportSession, listSessions, restoreSession } from "../piece-table/index.js";
import { formatBytes } from "../protocol/format-bytes.js";
import { CliError } from "./cli-error.js";

const USAGE = "gigapad recover FILE [--export OUT [--session FOLDER]] [--restore] [--discard] [--json]";

export async function recoverCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nusage: ${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new CliError(`recover takes one FILE\nusage: ${USAGE}`, 2);
  const actions = [values.export !== undefined, values.restore, values.discard].filter(Boolean).length;
  if (actions > 1) throw new CliError(`choose one of --export, --restore, --discard\nusage: ${USAGE}`, 2);
  const file = positionals[0]!;

  if (values.export !== undefined) {
    const result = await exportSession(file, values.export, values.session ? { folder: values.session } : {});
    say(
      values.json,
      result,
      `exported the ${result.what} (${formatBytes(result.bytes)}) to ${values.export}`,
    );
    return 0;
  }
  if (values.restore) {
    const bytes = await restoreSession(file);
    say(values.json, { restored: bytes }, `restored ${file} (${formatBytes(bytes)}); its session is gone`);
    return 0;
  }
  if (values.discard) {
    const count = discardSessions(file);
    say(values.json, { discarded: count }, `discarded ${count} session${count === 1 ? "" : "s"} of ${file}`);
    return 0;
  }
  const sessions = listSessions(file);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(sessions)}\n`);
    return 0;
  }
  if (sessions.length === 0) {
    process.stdout.write(`no sessions for ${file}: nothing to recover\n`);
    return 0;
  }
  const rows = sessions.map((s) => [
    s.kind,
    s.status + (s.locked ? " (open in Gigapad)" : ""),
    s.committedAt ? s.committedAt.toISOString().replace("T", " ").slice(0, 19) : "-",
    String(s.edits),
    s.sizeDelta === null ? "-" : `${s.sizeDelta >= 0 ? "+" : ""}${s.sizeDelta} B`,
    s.folder,
  ]);
  const header = ["session", "status", "committed", "edits", "size change", "folder"];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
  return 0;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      export: { type: "string" },
      session: { type: "string" },
      restore: { type: "boolean" },
      discard: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
}

function say(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}
