/**
 * The `gigapad` command line. Thin, as ripgrep's is: parse arguments, call the library, print
 * for people (aligned text, progress on a terminal) or for programs (--json), and exit 0 on
 * success, 1 when the work failed, 2 when the command line was wrong.
 *
 * Arguments are parsed by commander (help and usage from one definition, `help CMD`, `--version`,
 * "did you mean"); its errors are reworded here into one line of our own that points to the
 * command's help, as git and ripgrep do.
 */
import { readFileSync } from "node:fs";
import type { Command, CommanderError } from "commander";
// Only what `info` needs is loaded up front (the internal entry, not the whole engine): start-up
// time is part of every command's time.
import { type FileInfo, fileInfo } from "../piece-table/internal.js";
import { formatBytes } from "../presentation/format-bytes.js";
import { CliError, describeError } from "./cli-error.js";
import type { CrashtestOptions } from "./crashtest.js";
import type { RecoverOptions } from "./recover.js";
import type { ServeOptions } from "./serve.js";

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  const outcome = { exitCode: 0 };
  let commander: typeof import("commander") | null = null;
  try {
    const info = plainInfo(argv);
    if (info) {
      await infoCommand(info.file, { json: info.json });
      return 0;
    }
    const run = plainRun(argv);
    if (run) {
      await runCommand(run.script, run.files);
      return 0;
    }
    commander = await import("commander");
    await program(commander, outcome).parseAsync(argv, { from: "user" });
    return outcome.exitCode;
  } catch (error) {
    if (commander && error instanceof commander.CommanderError) {
      // Help or the version was printed (0), or bare `gigapad` printed the overview to stderr.
      return error.code === "commander.help" && error.exitCode !== 0 ? 2 : error.exitCode;
    }
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    process.stderr.write(`gigapad: ${describeError(error)}\n`);
    if (process.env.GIGAPAD_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return exitCode;
  }
}

/**
 * What a closed stdout (`gigapad ... | head`, head has quit) does: end the command quietly with
 * exit 0, as ripgrep does, instead of dying with an EPIPE stack trace — except in `run`, whose
 * script's edits matter more than its output: there the output is dropped and the script goes on.
 */
const onClosedStdout = { stop: true };
let pipesWatched = false;

function quietOnClosedPipe(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    if (onClosedStdout.stop) process.exit(0);
  });
  // A closed stderr: nothing can be reported any more; the exit code still says how it went.
  process.stderr.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

/**
 * `info FILE` and `info FILE --json`, the forms scripts run over many files, skip commander
 * (loading it costs more than the rest of `info`'s start-up); anything else goes through it.
 */
function plainInfo(argv: string[]): { file: string; json: boolean } | null {
  const [command, ...rest] = argv;
  if (command !== "info") return null;
  const json = rest.includes("--json");
  const files = rest.filter((arg) => arg !== "--json");
  if (rest.length - files.length > 1 || files.length !== 1 || files[0]!.startsWith("-")) return null;
  return { file: files[0]!, json };
}

/**
 * `run SCRIPT FILE...` without options skips commander too: a script's time is often a search
 * that takes less than Node's start, and every millisecond before it counts.
 */
function plainRun(argv: string[]): { script: string; files: string[] } | null {
  const [command, script, ...files] = argv;
  if (command !== "run" || script === undefined || files.length === 0) return null;
  if (argv.some((arg) => arg.startsWith("-"))) return null;
  return { script, files };
}

/**
 * `gigapad run`: a regex worker starts first, on the core that loading the script and the engine
 * leaves idle (a worker takes ~40 ms of CPU to start; most scripts search), then the script runs.
 */
async function runCommand(script: string, files: string[]): Promise<void> {
  onClosedStdout.stop = false;
  const started = import("../piece-table/regex-pool.js").then(({ prestartRegexWorker }) =>
    prestartRegexWorker(),
  );
  const { runScript } = await import("./run-script.js");
  await started;
  await runScript(script, files);
}

let packageVersion: string | null = null;

/** package.json's version, read once per process. */
function version(): string {
  if (packageVersion === null) {
    const manifest = new URL("../../package.json", import.meta.url);
    packageVersion = (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  }
  return packageVersion;
}

/** The help of a command, as the line that ends every usage error names it. */
function helpHint(command: Command): string {
  return command.parent ? `see 'gigapad ${command.name()} --help'` : "see 'gigapad --help'";
}

/**
 * Commander's errors in our words: one line, the command it concerns, where its help is; exit 2.
 * The names come from commander 14's messages (the option, the argument, "Did you mean"); the
 * tests in test/cli/conventions.test.ts pin every wording, so a change there shows.
 */
function usageError(command: Command, error: CommanderError): CliError {
  const forCommand = command.parent ? ` for '${command.name()}'` : "";
  const similar = /\(Did you mean (?:one of )?(.+)\?\)$/.exec(error.message)?.[1];
  const suggestion = similar
    ? ` (did you mean ${similar
        .split(", ")
        .map((name) => `'${name}'`)
        .join(" or ")}?)`
    : "";
  const quoted = /'(.*)'/.exec(error.message)?.[1];
  let message: string;
  switch (error.code) {
    case "commander.unknownOption":
      message = `unknown option '${quoted}'${forCommand}${suggestion}`;
      break;
    case "commander.unknownCommand":
      message = `unknown command '${command.args[0]}'${suggestion}`;
      break;
    case "commander.missingArgument":
      message = `missing ${quoted}${forCommand}`;
      break;
    case "commander.optionMissingArgument": {
      // quoted is the option's flags: `-p, --port <N>`.
      const long = /--[\w-]+/.exec(quoted ?? "")?.[0] ?? quoted;
      const value = /<(.+)>/.exec(quoted ?? "")?.[1] ?? "value";
      message = `option '${long}'${forCommand} needs a value (${value})`;
      break;
    }
    case "commander.excessArguments":
      message = `unexpected argument '${command.args[command.registeredArguments.length]}'${forCommand}`;
      break;
    default:
      message = error.message.replace(/^error: /, "").replace(/\n/g, " ");
  }
  return new CliError(`${message}; ${helpHint(command)}`, 2);
}

/** The command line; a command that ends with an exit code of its own sets `outcome.exitCode`. */
function program(commander: typeof import("commander"), outcome: { exitCode: number }): Command {
  const gigapad = new commander.Command("gigapad")
    .usage("<command> [options]")
    .description(
      "A text editor for files of many gigabytes: opens them at once, edits what you edit, keeps " +
        "unsaved edits in a crash-safe session.",
    )
    .version(version(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show this help")
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .configureHelp({
      subcommandTerm: (command) => `${command.name()} ${command.usage()}`,
    })
    .configureOutput({
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      // Errors are reworded (usageError) and printed by main(), once.
      outputError: () => {},
    })
    .addHelpText(
      "after",
      "\n'gigapad help COMMAND' (or 'gigapad COMMAND --help') shows a command's options.\n" +
        "Exit codes: 0 done, 1 the work failed, 2 the command line was wrong.",
    );
  gigapad.exitOverride((error) => {
    throw isUsageError(error) ? usageError(gigapad, error) : error;
  });

  /** A subcommand whose usage errors name it. */
  const define = (name: string, usage: string, summary: string): Command => {
    const command = gigapad.command(name).usage(usage).summary(summary);
    command.exitOverride((error) => {
      throw isUsageError(error) ? usageError(command, error) : error;
    });
    return command;
  };

  define("info", "FILE [--json]", "bytes, lines, line endings and encoding of FILE")
    .description(
      "Print FILE's size, line count, line endings (lf, crlf, mixed, none) and encoding (ascii, " +
        "utf-8, utf-8-bom, utf-16le, utf-16be, binary, or the likeliest legacy encoding such as " +
        "windows-1252 or shift_jis, with the guess's confidence). Counts lines on all cores; " +
        "a progress bar shows on a terminal for big files.",
    )
    .argument("<FILE>")
    .option("--json", "print one JSON object")
    .action((file: string, options: { json?: boolean }) => infoCommand(file, options));

  define("run", "SCRIPT FILE...", "run a script over opened documents")
    .description(
      "Import SCRIPT, open each FILE and await the script's default export with the documents " +
        "(export default async (doc) => { ... }), then commit and close them. Edits the script " +
        "does not save (doc.save()) are kept in each file's session; if the script throws, its " +
        "uncommitted edits are dropped.",
    )
    .argument("<SCRIPT>")
    .argument("<FILE...>")
    .action((script: string, files: string[]) => runCommand(script, files));

  define("recover", "FILE [options]", "unsaved edits kept for FILE")
    .description("List the sessions kept for FILE (unsaved edits of earlier runs), or act on them.")
    .argument("<FILE>")
    .option(
      "--export <OUT>",
      "write the recovered document (or, if FILE changed since, the text that was typed) to OUT",
    )
    .option("--session <FOLDER>", "with --export: the session to export (a folder the list shows)")
    .option("--restore", "write the recovered document into FILE (atomically) and drop the session")
    .option("--discard", "drop FILE's sessions")
    .option("--json", "print JSON")
    .action(async (file: string, options: RecoverOptions) => {
      await (await import("./recover.js")).recoverCommand(file, options);
    });

  define("open", "[FILE...]", "open the files in the desktop app")
    .description(
      "Start the desktop app on the files, or hand them to the one running. When it cannot start " +
        "(no display, Electron not downloaded) it says why and suggests 'gigapad serve FILE'.",
    )
    .argument("[FILE...]")
    .action(async (files: string[]) => {
      await (await import("./open.js")).openCommand(files);
    });

  define("serve", "FILE [options]", "the editor in a browser")
    .description(
      "Open FILE and serve the editor UI for a browser on a tokened URL; Ctrl+C stops. " +
        "If another Gigapad is editing FILE, it is served read-only.",
    )
    .argument("<FILE>")
    .option("-p, --port <N>", "port to listen on (default: a free one)")
    .option("--host <H>", "address to listen on (default: 127.0.0.1; any other lets the network in)")
    .option("--root <DIR>", "the folder tree Save As may write (default: FILE's folder)")
    .option("--read-only", "serve FILE without allowing edits")
    .option("--follow", "keep the end of FILE in view as another program appends to it (a log)")
    .option(
      "--encoding <NAME>",
      "read FILE in this encoding (utf-8, windows-1252, shift_jis, utf-16le, …), not the guessed one",
    )
    .action(async (file: string, options: ServeOptions) => {
      await (await import("./serve.js")).serveCommand(file, options);
    });

  define("crashtest", "[FILE] [options]", "check that edits survive crashes here")
    .description(
      "Kill a process editing, committing and saving a copy of FILE (or of a generated log) and " +
        "check every recovery; exits 1 on any violation. FILE itself is only read.",
    )
    .argument("[FILE]")
    .option("--kills <N>", "random-time kills (default: 20)")
    .option("--crash-points", "also kill at each named crash point of commit and save")
    .option("--dir <DIR>", "where to test (default: beside FILE, to test its filesystem)")
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, options: CrashtestOptions) => {
      outcome.exitCode = await (await import("./crashtest.js")).crashtestCommand(file, options);
    });

  define("help", "[COMMAND]", "show a command's options")
    .description("Print COMMAND's usage and options, or without COMMAND the list of commands.")
    .argument("[COMMAND]")
    .action((name: string | undefined) => {
      if (name === undefined) return gigapad.help();
      const command = gigapad.commands.find((candidate) => candidate.name() === name);
      if (!command) throw new CliError(`unknown command '${name}'; see 'gigapad --help'`, 2);
      return command.help();
    });
  return gigapad;
}

function isUsageError(error: CommanderError): boolean {
  return !["commander.help", "commander.helpDisplayed", "commander.version"].includes(error.code);
}

async function infoCommand(file: string, options: { json?: boolean }): Promise<void> {
  // The bar's library loads only when there is a terminal to draw on (start-up time counts here).
  const bar =
    process.stderr.isTTY && !options.json
      ? new (await import("./progress.js")).IndexProgressBar(process.stderr)
      : null;
  let info: FileInfo;
  try {
    info = await fileInfo(file, bar ? (progress) => bar.update(progress) : undefined);
  } finally {
    bar?.stop();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ["file", info.path],
    ["bytes", `${info.bytes} (${formatBytes(info.bytes)})`],
    ["lines", String(info.lines)],
    ["eol", info.eol],
    [
      "encoding",
      info.encodingConfidence < 1
        ? `${info.encoding} (confidence ${info.encodingConfidence})`
        : info.encoding,
    ],
  ];
  for (const [name, value] of rows) process.stdout.write(`${name.padEnd(9)}${value}\n`);
}
