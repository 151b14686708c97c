/**
 * The `gigapad` command line. Thin, as ripgrep's is: parse arguments, call the library, print
 * for people (aligned text, progress on a terminal) or for programs (--json), and exit 0 on
 * success, 1 when the work failed, 2 when the command line was wrong.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
// Only what `info` needs is loaded up front: start-up time is part of every command's time.
import { type FileInfo, fileInfo } from "../piece-table/file-info.js";
import { formatBytes } from "../protocol/format-bytes.js";
import { CliError } from "./cli-error.js";

const USAGE = `Usage: gigapad <command> [options]

Commands:
  info FILE [--json]        bytes, lines, line endings (lf, crlf, mixed, none) and encoding
  run SCRIPT FILE...        run SCRIPT's default export with the opened documents, then commit
                            and close them
  recover FILE [--json]     list the sessions kept for FILE (unsaved edits of earlier runs)
    --export OUT            write the recovered document (or, if FILE changed since, the text
                            that was typed) to OUT; --session FOLDER picks a session
    --restore               write the recovered document into FILE (atomically) and drop the session
    --discard               drop FILE's sessions
  open [FILE...]            open the files in the desktop app (or in the one running)
  serve FILE                serve the editor UI for a browser on a tokened localhost URL
    --port N, --host H      where to listen (default: a free port on 127.0.0.1)
    --read-only             no edits
  crashtest [FILE]          kill a process editing, committing and saving a copy of FILE (or of a
                            generated log) and check every recovery; exits 1 on any violation
    --kills N               random-time kills (default 20)
    --crash-points          also kill at each named crash point of commit and save
    --dir DIR               where to test (default: beside FILE, to test its filesystem)
    --json                  print the result as JSON

Options:
  -h, --help                show this help
`;

export async function main(argv: string[]): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "info":
        return await infoCommand(rest);
      case "run":
        return await runCommand(rest);
      case "recover":
        return await (await import("./recover.js")).recoverCommand(rest);
      case "open":
        return await (await import("./open.js")).openCommand(rest);
      case "serve":
        return await (await import("./serve.js")).serveCommand(rest);
      case "crashtest":
        return await (await import("./crashtest.js")).crashtestCommand(rest);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command '${command}'\n\n${USAGE}`, 2);
    }
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    process.stderr.write(`gigapad: ${describeError(error)}\n`);
    if (process.env.GIGAPAD_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return exitCode;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nusage: ${usage}`, 2);
  }
}

async function infoCommand(args: string[]): Promise<number> {
  const usage = "gigapad info FILE [--json]";
  const { values, positionals } = parse(args, { json: { type: "boolean" } }, usage);
  if (positionals.length !== 1) throw new CliError(`info takes one FILE\nusage: ${usage}`, 2);
  // The bar's library loads only when there is a terminal to draw on (start-up time counts here).
  const bar =
    process.stderr.isTTY && !values.json
      ? new (await import("./progress.js")).IndexProgressBar(process.stderr)
      : null;
  let info: FileInfo;
  try {
    info = await fileInfo(positionals[0]!, bar ? (progress) => bar.update(progress) : undefined);
  } finally {
    bar?.stop();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    const rows: [string, string][] = [
      ["file", info.path],
      ["bytes", `${info.bytes} (${formatBytes(info.bytes)})`],
      ["lines", String(info.lines)],
      ["eol", info.eol],
      ["encoding", info.encoding],
    ];
    for (const [name, value] of rows) process.stdout.write(`${name.padEnd(9)}${value}\n`);
  }
  return 0;
}

async function runCommand(args: string[]): Promise<number> {
  const usage = "gigapad run SCRIPT FILE...";
  const { positionals } = parse(args, {}, usage);
  if (positionals.length < 2)
    throw new CliError(`run takes a SCRIPT and at least one FILE\nusage: ${usage}`, 2);
  const [script, ...files] = positionals as [string, ...string[]];
  const { runScript } = await import("./run-script.js");
  await runScript(script, files);
  return 0;
}
