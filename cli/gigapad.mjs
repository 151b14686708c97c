#!/usr/bin/env node
// The `gigapad` command: a shim that runs the compiled CLI (built by `npm install`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error(
    "gigapad: the command is not built yet; run `npm install` (or `npm run build`) in the gigapad folder",
  );
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
