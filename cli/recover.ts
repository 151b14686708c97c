/** `gigapad recover FILE [--export OUT] [--session FOLDER] [--restore] [--discard] [--json]` */
import { discardSessions, exportSession, listSessions, restoreSession } from "../piece-table/index.js";
import { formatBytes } from "../presentation/format-bytes.js";
import { badUsage, CliError } from "./cli-error.js";

export interface RecoverOptions {
  export?: string;
  session?: string;
  restore?: boolean;
  discard?: boolean;
  json?: boolean;
}

export async function recoverCommand(file: string, options: RecoverOptions): Promise<void> {
  const actions = [options.export !== undefined, options.restore, options.discard].filter(Boolean).length;
  if (actions > 1) throw badUsage("recover", "choose one of --export, --restore, --discard");
  if (options.session !== undefined && options.export === undefined)
    throw badUsage("recover", "--session picks the session for --export");

  if (options.export !== undefined) {
    if (listSessions(file).length === 0) throw new CliError(`nothing to export: no sessions for ${file}`);
    const result = await exportSession(
      file,
      options.export,
      options.session ? { folder: options.session } : {},
    );
    say(options, {
      json: result,
      text: `exported the ${result.what} (${formatBytes(result.bytes)}) to ${options.export}`,
    });
    return;
  }
  if (options.restore) {
    if (listSessions(file).length === 0) throw new CliError(`nothing to restore: no sessions for ${file}`);
    const bytes = await restoreSession(file);
    say(options, {
      json: { restored: bytes },
      text: `restored ${file} (${formatBytes(bytes)}); its session is gone`,
    });
    return;
  }
  if (options.discard) {
    const count = discardSessions(file);
    say(options, {
      json: { discarded: count },
      text: `discarded ${count} session${count === 1 ? "" : "s"} of ${file}`,
    });
    return;
  }
  const sessions = listSessions(file);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(sessions)}\n`);
    return;
  }
  if (sessions.length === 0) {
    process.stdout.write(`no sessions for ${file}: nothing to recover\n`);
    return;
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
}

/** Prints the outcome for programs (--json: `json` as JSON) or for people (`text`). */
function say(options: { json?: boolean }, outcome: { json: unknown; text: string }): void {
  process.stdout.write(options.json ? `${JSON.stringify(outcome.json)}\n` : `${outcome.text}\n`);
}
