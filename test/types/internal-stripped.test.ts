/**
 * The shipped types leave out what is marked @internal (tsconfig.build.json: stripInternal): no
 * member or option so marked in the engine's source is declared in dist's .d.ts, and a script
 * that uses the package still type-checks against them (the .d.ts checked too, skipLibCheck off)
 * while one that reaches for an internal option does not. Run after the build, as the CLI tests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const repo = new URL("../..", import.meta.url).pathname;
const shippedSources = ["piece-table", "native"];

/** Names declared right after a doc comment that says @internal, in one source file. */
function internalNames(source: string): string[] {
  const declared =
    /\/\*\*(?:(?!\*\/)[\s\S])*?@internal(?:(?!\*\/)[\s\S])*\*\/\s*(?:(?:export|static|readonly|async|public|declare)\s+)*(?:(?:function|class|const|let|interface|type)\s+)?(\w+)/g;
  return [...source.matchAll(declared)].map((match) => match[1]!);
}

/** Whether a .d.ts declares `name` (as a member, an option, a function or a type), outside comments. */
function declares(declarations: string, name: string): boolean {
  const code = declarations.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return new RegExp(
    `(^|[\\s;{(])(${name})\\??\\s*[:(<=]|\\b(function|class|interface|type|const)\\s+${name}\\b`,
    "m",
  ).test(code);
}

const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) rmSync(dir, { recursive: true, force: true });
});

describe("the shipped .d.ts", () => {
  it("declare nothing the source marks @internal, and say @internal nowhere", () => {
    let checked = 0;
    for (const folder of shippedSources) {
      for (const file of readdirSync(join(repo, folder)).filter((name) => name.endsWith(".ts"))) {
        const shipped = join(repo, "dist", folder, file.replace(/\.ts$/, ".d.ts"));
        if (file.endsWith(".d.ts") || !existsSync(shipped)) continue;
        const declarations = readFileSync(shipped, "utf8");
        expect(declarations, shipped).not.toMatch(/@internal\b/);
        for (const name of internalNames(readFileSync(join(repo, folder, file), "utf8"))) {
          if (name === "constructor") continue; // a class's; its absence shows as no "constructor(" line
          expect(declares(declarations, name), `${name} in ${shipped}`).toBe(false);
          checked++;
        }
      }
    }
    // The engine marks some members and options @internal: this test looked at them.
    expect(checked).toBeGreaterThan(0);
  });

  it("type-check a consumer of the package, which cannot pass an internal option", () => {
    const dir = mkdtempSync(join(tmpdir(), "gigapad-consumer-"));
    temp.push(dir);
    writeFileSync(
      join(dir, "consumer.ts"),
      [
        'import { Document, open, type OpenOptions } from "gigapad";',
        'import type { FileIdentity } from "gigapad/native";',
        'const options: OpenOptions = { stateDir: "/tmp/state", readOnly: true };',
        'export const opening = open("/tmp/file.log", options);',
        "export type Identity = FileIdentity;",
        "// @ts-expect-error: session tuning is @internal, not in the shipped types",
        "export const tuned: OpenOptions = { sessionTuning: { snapshotAfterOps: 1 } };",
        "// @ts-expect-error: a document comes from open(); its constructor is protected",
        "export const made = (parts: never) => new Document(parts);",
        "// @ts-expect-error: Document.create is @internal, not in the shipped types",
        "export const created = Document.create;",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
          typeRoots: [join(repo, "node_modules", "@types")],
          paths: {
            gigapad: [join(repo, "dist", "piece-table", "index.d.ts")],
            "gigapad/native": [join(repo, "dist", "native", "index.d.ts")],
          },
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 60_000);
});
