// Bundles what runs outside Node's module loader:
// - the editor UI (renderer/) into dist/renderer: app.js (ES module), boot.js, app.css, index.html,
//   served by `gigapad serve` and loaded by the desktop app;
// - the desktop app's preload (electron/preload.ts) into dist/electron/preload.cjs: one CommonJS
//   file that requires only "electron", as a sandboxed preload must be.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "renderer");
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, "renderer", "main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome120", "firefox120", "safari17"],
  minify: !process.env.GIGAPAD_BUNDLE_DEBUG,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync(join(root, "renderer", "index.html"), join(out, "index.html"));
copyFileSync(join(root, "renderer", "app.css"), join(out, "app.css"));
copyFileSync(join(root, "renderer", "icon.svg"), join(out, "icon.svg"));
copyFileSync(join(root, "renderer", "boot.js"), join(out, "boot.js"));

await build({
  entryPoints: [join(root, "electron", "preload.ts")],
  outfile: join(root, "dist", "electron", "preload.cjs"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["electron"],
  logLevel: "warning",
});
