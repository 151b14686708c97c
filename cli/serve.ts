/** `gigapad serve FILE`: opens FILE in the engine host and serves the editor UI to a browser. */
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { HostedDocument } from "../host/hosted-document.js";
import { networkWarning, serve } from "../server/serve.js";
import { badUsage, CliError } from "./cli-error.js";

export interface ServeOptions {
  port?: string;
  host?: string;
  root?: string;
  readOnly?: boolean;
  follow?: boolean;
  encoding?: string;
}

/** A stop signal ends `serve` within this long, whatever runs (edits are committed first). */
const STOP_DEADLINE_MS = 1800;

export async function serveCommand(file: string, options: ServeOptions): Promise<void> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!/^\d+$/.test(options.port ?? "0") || port > 65535) {
    throw badUsage("serve", `--port must be a number from 0 to 65535, got '${options.port}'`);
  }
  // An IPv6 address may come in URL brackets; an empty one would mean every interface.
  const host = (options.host ?? "127.0.0.1").trim().replace(/^\[(.*)\]$/, "$1");
  if (host === "") {
    throw badUsage("serve", "--host needs an address or a name (127.0.0.1, ::1, 0.0.0.0, a host name)");
  }
  // Where the page's Save As may write: FILE's folder, or the tree the user names.
  const root = resolve(options.root ?? dirname(resolve(file)));
  if (options.root !== undefined && !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw badUsage("serve", `--root must be a folder, got '${options.root}'`);
  }

  // Its errors already say which file and why (`cannot open FILE: No such file or directory`).
  const document = await HostedDocument.open(file, {
    readOnly: options.readOnly ?? false,
    follow: options.follow ?? false,
    ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
  });
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
    server = await serve(document, { host, port, root });
  } catch (error) {
    await document.close();
    throw new CliError(`cannot serve on ${host}:${port}: ${(error as Error).message}`);
  }
  // Decided by the address bound, not by the spelling (127.1, localhost, ::ffff:127.0.0.1).
  if (server.exposure === "network") {
    process.stderr.write(`\ngigapad: ${networkWarning(server, root, { readOnly: info.readOnly })}\n\n`);
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
  // A second signal, or the deadline, ends the process at once; closing commits first.
  const now = () => process.exit(1);
  process.once("SIGINT", now);
  process.once("SIGTERM", now);
  const deadline = setTimeout(() => {
    process.stderr.write("gigapad: stopping took too long; edits committed until now are in the session\n");
    now();
  }, STOP_DEADLINE_MS);
  try {
    await server.close();
    await document.close();
  } finally {
    clearTimeout(deadline);
    process.off("SIGINT", now);
    process.off("SIGTERM", now);
  }
}
