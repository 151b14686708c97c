/** `gigapad serve FILE`: opens FILE in the engine host and serves the editor UI to a browser. */
import { parseArgs } from "node:util";
import { HostedDocument } from "../host/hosted-document.js";
import { isLoopback, serve } from "../server/serve.js";
import { CliError } from "./cli-error.js";

const USAGE = "gigapad serve FILE [--port N] [--host H] [--read-only]";

export async function serveCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseServeArgs>;
  try {
    parsed = parseServeArgs(args);
  } catch (error) {
    throw new CliError(`${(error as Error).message}\nusage: ${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new CliError(`serve takes one FILE\nusage: ${USAGE}`, 2);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--port must be a number from 0 to 65535, got '${values.port}'\nusage: ${USAGE}`, 2);
  }
  const host = values.host ?? "127.0.0.1";
  const file = positionals[0]!;

  let document: HostedDocument;
  try {
    document = await HostedDocument.open(file, { readOnly: values["read-only"] ?? false });
  } catch (error) {
    throw new CliError(`cannot open ${file}: ${(error as Error).message}`);
  }
  const info = document.info();
  if (info.readOnlyReason && !values["read-only"]) {
    process.stderr.write(`gigapad: read-only: ${info.readOnlyReason}\n`);
  }
  if (info.recovered) process.stderr.write(`gigapad: ${info.recovered}\n`);
  if (info.setAside) process.stderr.write(`gigapad: ${info.setAside}\n`);

  let server: Awaited<ReturnType<typeof serve>>;
  try {
    server = await serve(document, { host, port });
  } catch (error) {
    await document.close();
    throw new CliError(`cannot serve on ${host}:${port}: ${(error as Error).message}`);
  }
  if (!isLoopback(host)) {
    process.stderr.write(
      `\ngigapad: WARNING: serving on ${host}, not on this machine only. Anyone on the network who ` +
        "gets the URL (its token) can read and change this file. Use --host 127.0.0.1 unless you mean it.\n\n",
    );
  }
  // Listen for the stop signals before printing the URL: whoever reads it may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  process.stdout.write(
    `Gigapad is serving ${info.path}\n\n    ${server.url}\n\nOpen the URL in a browser. Ctrl+C stops; unsaved edits stay in the session.\n`,
  );
  await stopped;
  await server.close();
  await document.close();
  return 0;
}

function parseServeArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "read-only": { type: "boolean" },
    },
  });
}
