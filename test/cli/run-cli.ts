/** Runs the real `gigapad` command (cli/gigapad.mjs → dist/cli/main.js) for the CLI tests. */
import { spawn, spawnSync } from "node:child_process";
import { DROP_TO_NOBODY } from "../helpers/unprivileged.js";

export const bin = new URL("../../cli/gigapad.mjs", import.meta.url).pathname;
const dist = new URL("../../dist/cli/", import.meta.url);
const repo = new URL("../..", import.meta.url).pathname;

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function gigapad(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Ran {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: 60_000,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI as nobody when the tests run as root (root may read anything): it loads the CLI
 * and the command's module as root, then drops, then runs the command. After the drop nothing of
 * the checkout may be needed — it may lie in a folder nobody cannot enter (/root, a 0700 home) —
 * so every module the command imports lazily is imported first, by running it once on a file
 * that is not there (Node resolves an import it has resolved before without the file system).
 */
export function gigapadAsNobody(args: string[], env: NodeJS.ProcessEnv = {}): Ran {
  const module = args[0] === "run" ? "run-script" : (args[0] ?? "info");
  const script =
    `const { main } = await import(${JSON.stringify(new URL("main.js", dist).href)});\n` +
    `await import(${JSON.stringify(new URL(`${module}.js`, dist).href)}).catch(() => {});\n` +
    // Once as root, with the output thrown away: commander, then the command's own module.
    `{ const out = process.stdout.write; const err = process.stderr.write;\n` +
    `  process.stdout.write = process.stderr.write = () => true;\n` +
    `  await main(["help", ${JSON.stringify(args[0] ?? "info")}]);\n` +
    `  await main([${JSON.stringify(args[0] ?? "info")}, "/nonexistent/gigapad-warm-up"]);\n` +
    `  process.stdout.write = out; process.stderr.write = err; process.exitCode = 0; }\n` +
    `${DROP_TO_NOBODY}\nprocess.exitCode = await main(${JSON.stringify(args)});`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
    cwd: repo,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI with its stdout a pipe whose reading end is already closed (`gigapad ... | head`
 * after head has quit): every write to stdout fails with EPIPE.
 */
export function gigapadIntoClosedPipe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (data) => {
    stderr += data;
  });
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code, stdout: "", stderr }));
  });
}
