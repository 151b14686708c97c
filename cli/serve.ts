/** `gigapad serve FILE`: opens FILE in the engine host and serves the editor UI to a browser. */
import { HostedDocument } from "../host/hosted-document.js";
import { isLoopback, serve } from "../server/serve.js";
import { badUsage, CliError } from "./cli-error.js";

export interface ServeOptions {
  port?: string;
  host?: string;
  readOnly?: boolean;
}

export async function serveCommand(file: string, options: ServeOptions): Promise<void> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!/^\d+$/.test(options.port ?? "0") || port > 65535) {
    throw badUsage("serve", `--port must be a number from 0 to 65535, got '${options.port}'`);
  }
  const host = options.host ?? "127.0.0.1";

  // Its errors already say which file and why (`cannot open FILE: No such file or directory`).
  const document = await HostedDocument.open(file, { readOnly: options.readOnly ?? false });
  const info = document.info();
  const lockedOut = info.readOnly && !options.readOnly;
  if (lockedOut) {
    const pid = /\(pid (\d+)\)/.exec(info.readOnlyReason ?? "")?.[1];
    process.stderr.write(
      `gigapad: ${file} is open in another Gigapad${pid ? ` (pid ${pid})` : ""}, so it is served ` +
        `read-only; to edit it here, close it there and run 'gigapad serve ${file}' again\n`,
    );
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
        `gets the URL (its token) can read${info.readOnly ? "" : " and change"} this file. ` +
        "Use --host 127.0.0.1 unless you mean it.\n\n",
    );
  }
  // Listen for the stop signals before printing the URL: whoever reads it may stop us at once.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  const mode = info.readOnly
    ? ` read-only (${options.readOnly ? "--read-only" : "another Gigapad is editing it"})`
    : "";
  const stop = info.readOnly ? "Ctrl+C stops." : "Ctrl+C stops; unsaved edits stay in the session.";
  process.stdout.write(
    `Gigapad is serving ${info.path}${mode}\n\n    ${server.url}\n\nOpen the URL in a browser. ${stop}\n`,
  );
  await stopped;
  await server.close();
  await document.close();
}
