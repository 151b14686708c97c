#!/usr/bin/env node
/**
 * Mutation testing of the engine's core: every operator and condition of a source file flipped in
 * turn (one mutant at a time), the engine's fast unit tests run against each, and a report of the
 * mutants no test noticed. It never touches the working tree: the repository at HEAD (or, with
 * --working-tree, the files as they are now) is copied to a temp folder with node_modules
 * symlinked, and mutated there.
 *
 *   node test/mutation/mutate.mjs [--file piece-table/line-index.ts]... [--working-tree]
 *                                 [--out report.json] [--from N] [--limit N] [--every K] [--numbers 3,17,...]
 *                                 [--keep] [--list]
 *
 * Without --file: line-index.ts, session-format.ts and piece-tree.ts. Each mutant first meets the
 * file's own direct tests (fast), and only if it survives those, all of test/piece-table and
 * test/session except the crash campaigns (crash-kill, power-loss, empty-session: they are slow
 * and run the built dist/, not the sources). A run that exceeds three times the unmutated run's
 * time counts as killed (an endless loop). Survivors listed in test/mutation/equivalent.json
 * (mutants judged not to change behaviour, only speed) are reported apart from the kill rate.
 *
 * --from N and --limit N take a slice of a file's mutants (numbered from 0 as --list prints them);
 * --every K then keeps every K-th of the slice (a sample across a file too large to run whole);
 * --numbers runs just the mutants of those numbers (say, last run's survivors after a new test).
 * Each result in the report carries its number.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Each target's own tests, run first; then the rest of the fast unit tests. */
const DIRECT_TESTS = {
  "piece-table/line-index.ts": ["test/piece-table/line-index.test.ts"],
  "piece-table/session-format.ts": ["test/session/session-format.test.ts"],
  "piece-table/piece-tree.ts": ["test/piece-table/piece-tree.test.ts"],
};
const SLOW_TESTS = new Set([
  "test/session/crash-kill.test.ts",
  "test/session/power-loss.test.ts",
  "test/session/empty-session.test.ts",
]);

// ----- arguments -------------------------------------------------------------------------------

function parseArguments(argv) {
  const options = {
    files: [],
    workingTree: false,
    out: null,
    limit: Number.POSITIVE_INFINITY,
    from: 0,
    every: 1,
    numbers: null,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === "--file") options.files.push(argv[++i]);
    else if (argument === "--working-tree") options.workingTree = true;
    else if (argument === "--out") options.out = resolve(argv[++i]);
    else if (argument === "--limit") options.limit = Number(argv[++i]);
    else if (argument === "--from") options.from = Number(argv[++i]);
    else if (argument === "--every") options.every = Number(argv[++i]);
    else if (argument === "--numbers") options.numbers = new Set(argv[++i].split(",").map(Number));
    else if (argument === "--keep") options.keep = true;
    else if (argument === "--list") options.list = true;
    else throw new Error(`unknown argument ${argument}`);
  }
  if (options.files.length === 0) options.files = Object.keys(DIRECT_TESTS);
  return options;
}

// ----- the copy --------------------------------------------------------------------------------

/** A copy of the repository to mutate: HEAD, or the working tree's tracked and new files. */
function makeCopy(workingTree) {
  const copy = mkdtempSync(join(tmpdir(), "gigapad-mutation-"));
  if (workingTree) {
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: repo,
      encoding: "utf8",
    });
    for (const path of listed.stdout.split("\0").filter(Boolean)) {
      if (!existsSync(join(repo, path))) continue;
      mkdirSync(dirname(join(copy, path)), { recursive: true });
      cpSync(join(repo, path), join(copy, path));
    }
  } else {
    const archive = spawnSync("sh", ["-c", `git -C '${repo}' archive HEAD | tar -x -C '${copy}'`]);
    if (archive.status !== 0) throw new Error(`git archive failed: ${archive.stderr}`);
  }
  // node_modules entry by entry, so caches written under node_modules/.vite stay in the copy.
  mkdirSync(join(copy, "node_modules"));
  for (const entry of readdirSync(join(repo, "node_modules"))) {
    if (entry !== ".vite") symlinkSync(join(repo, "node_modules", entry), join(copy, "node_modules", entry));
  }
  // Build outputs the tests load: the native addon, and dist/ for tests of the built package.
  cpSync(join(repo, "native/build"), join(copy, "native/build"), { recursive: true });
  if (existsSync(join(repo, "dist"))) symlinkSync(join(repo, "dist"), join(copy, "dist"));
  return copy;
}

function testFilesOf(copy) {
  const listed = spawnSync("sh", ["-c", "ls test/piece-table/*.test.ts test/session/*.test.ts"], {
    cwd: copy,
    encoding: "utf8",
  });
  return listed.stdout.split("\n").filter((path) => path && !SLOW_TESTS.has(path));
}

// ----- mutants ---------------------------------------------------------------------------------

const BINARY_SWAPS = {
  "<": ["<=", ">="],
  "<=": ["<", ">"],
  ">": [">=", "<="],
  ">=": [">", "<"],
  "===": ["!=="],
  "!==": ["==="],
  "==": ["!="],
  "!=": ["=="],
  "+": ["-"],
  "-": ["+"],
  "*": ["/"],
  "/": ["*"],
  "%": ["*"],
  "&&": ["||"],
  "||": ["&&"],
  "??": ["&&"],
  "&": ["|"],
  "|": ["&"],
  "^": ["&"],
  "<<": [">>"],
  ">>": ["<<"],
  ">>>": [">>"],
  "+=": ["-="],
  "-=": ["+="],
  "*=": ["/="],
  "/=": ["*="],
  "|=": ["&="],
  "&=": ["|="],
};

const isStringy = (node) =>
  ts.isStringLiteral(node) || ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node);

/** Every mutant of a source file: { start, end, original, replacement, line, kind }. */
function mutantsOf(path, source) {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const mutants = [];
  const add = (node, replacement, kind, start = node.getStart(file), end = node.end) => {
    const original = source.slice(start, end);
    if (original === replacement) return;
    mutants.push({
      start,
      end,
      original,
      replacement,
      kind,
      line: file.getLineAndCharacterOfPosition(start).line + 1,
    });
  };
  const condition = (expression, { loop }) => {
    if (!expression) return;
    if (!loop) add(expression, "true", "condition");
    add(expression, "false", "condition");
  };
  const visit = (node) => {
    // Types, imports and exports of names change nothing at run time.
    if (ts.isImportDeclaration(node) || ts.isTypeNode(node) || ts.isInterfaceDeclaration(node)) return;
    if (ts.isTypeAliasDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isBinaryExpression(node)) {
      const token = node.operatorToken;
      const operator = token.getText(file);
      const swaps = BINARY_SWAPS[operator] ?? [];
      const arithmetic = operator === "+" || operator === "+=";
      if (!(arithmetic && (isStringy(node.left) || isStringy(node.right)))) {
        for (const swap of swaps) add(token, swap, "operator", token.getStart(file), token.end);
      }
    }
    if (ts.isIfStatement(node)) condition(node.expression, { loop: false });
    if (ts.isConditionalExpression(node)) condition(node.condition, { loop: false });
    if (ts.isWhileStatement(node) || ts.isDoStatement(node)) condition(node.expression, { loop: true });
    if (ts.isForStatement(node)) condition(node.condition, { loop: true });
    if (ts.isPrefixUnaryExpression(node)) {
      const operand = node.operand.getText(file);
      if (node.operator === ts.SyntaxKind.ExclamationToken) add(node, operand, "negation");
      if (node.operator === ts.SyntaxKind.MinusToken && !ts.isNumericLiteral(node.operand))
        add(node, operand, "negation");
      if (node.operator === ts.SyntaxKind.PlusPlusToken) add(node, `--${operand}`, "update");
      if (node.operator === ts.SyntaxKind.MinusMinusToken) add(node, `++${operand}`, "update");
    }
    if (ts.isPostfixUnaryExpression(node)) {
      const operand = node.operand.getText(file);
      if (node.operator === ts.SyntaxKind.PlusPlusToken) add(node, `${operand}--`, "update");
      if (node.operator === ts.SyntaxKind.MinusMinusToken) add(node, `${operand}++`, "update");
    }
    if (node.kind === ts.SyntaxKind.TrueKeyword) add(node, "false", "boolean");
    if (node.kind === ts.SyntaxKind.FalseKeyword) add(node, "true", "boolean");
    if (ts.isPropertyAccessExpression(node) && node.expression.getText(file) === "Math") {
      const name = node.name.text;
      if (name === "min") add(node.name, "max", "math", node.name.getStart(file), node.name.end);
      if (name === "max") add(node.name, "min", "math", node.name.getStart(file), node.name.end);
      if (name === "floor") add(node.name, "ceil", "math", node.name.getStart(file), node.name.end);
      if (name === "ceil") add(node.name, "floor", "math", node.name.getStart(file), node.name.end);
    }
    // A block emptied: the statements of a branch, loop or function body never run.
    if (ts.isBlock(node) && node.statements.length > 0 && !ts.isClassStaticBlockDeclaration(node.parent)) {
      add(node, "{}", "block");
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // The same text mutated the same way on one line may occur twice: number them.
  const seen = new Map();
  for (const mutant of mutants) {
    const lineText = source.split("\n")[mutant.line - 1].trim();
    const base = `${path}|${lineText}|${oneLine(mutant.original)}→${mutant.replacement}`;
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    mutant.key = count === 0 ? base : `${base}|#${count + 1}`;
    mutant.lineText = lineText;
  }
  return mutants.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Text on one line, shortened: how a mutated span is shown. */
function oneLine(text) {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 70 ? `${flat.slice(0, 67)}...` : flat;
}

// ----- running ---------------------------------------------------------------------------------

/** Runs vitest on `files` in the copy: "passed", "failed" or "timeout". */
function runTests(copy, files, timeoutMs) {
  return new Promise((resolvePromise) => {
    const started = Date.now();
    const child = spawn(
      join(copy, "node_modules/.bin/vitest"),
      ["run", "--bail=1", "--reporter=dot", "--no-cache", ...files],
      {
        cwd: copy,
        detached: true,
        stdio: ["ignore", "ignore", "ignore"],
        env: { ...process.env, CI: "1" },
      },
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const outcome = timedOut ? "timeout" : code === 0 ? "passed" : "failed";
      resolvePromise({ outcome, ms: Date.now() - started });
    });
  });
}

function loadEquivalents() {
  const path = join(repo, "test/mutation/equivalent.json");
  if (!existsSync(path)) return new Map();
  const entries = JSON.parse(readFileSync(path, "utf8"));
  return new Map(entries.map((entry) => [entry.key, entry.reason]));
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  if (options.list) {
    // The mutants of the source a run would mutate: HEAD's, or with --working-tree the file as it is.
    for (const path of options.files) {
      const source = options.workingTree
        ? readFileSync(join(repo, path), "utf8")
        : spawnSync("git", ["show", `HEAD:${path}`], { cwd: repo, encoding: "utf8" }).stdout;
      for (const [index, mutant] of mutantsOf(path, source).entries()) {
        console.log(
          `#${index} ${path}:${mutant.line} [${mutant.kind}] ${oneLine(mutant.original)} → ${mutant.replacement}`,
        );
      }
    }
    return;
  }
  const copy = makeCopy(options.workingTree);
  const equivalents = loadEquivalents();
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).stdout.trim();
  const report = { copy, source: options.workingTree ? "working tree" : `HEAD ${head}`, files: {} };
  const out = options.out ?? join(tmpdir(), `gigapad-mutation-${Date.now()}.json`);
  // Written after every mutant, so a long run stopped early still leaves its results.
  const save = () => writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  try {
    const allTests = testFilesOf(copy);
    const baseline = await runTests(copy, allTests, 15 * 60_000);
    if (baseline.outcome !== "passed") throw new Error(`the unmutated tests do not pass in ${copy}`);
    console.log(`baseline: ${allTests.length} test files pass in ${(baseline.ms / 1000).toFixed(1)} s`);
    for (const path of options.files) {
      const target = join(copy, path);
      const source = readFileSync(target, "utf8");
      const mutants = mutantsOf(path, source)
        .map((mutant, index) => ({ ...mutant, index }))
        .slice(options.from, options.from + options.limit)
        .filter((_, position) => position % options.every === 0)
        .filter((mutant) => !options.numbers || options.numbers.has(mutant.index));
      const direct = (DIRECT_TESTS[path] ?? []).filter((test) => existsSync(join(copy, test)));
      const directBaseline = direct.length > 0 ? await runTests(copy, direct, 5 * 60_000) : null;
      const results = [];
      console.log(`${path}: ${mutants.length} mutants`);
      try {
        for (const [number, mutant] of mutants.entries()) {
          writeFileSync(
            target,
            source.slice(0, mutant.start) + mutant.replacement + source.slice(mutant.end),
          );
          let run = { outcome: "passed" };
          if (directBaseline) run = await runTests(copy, direct, Math.max(20_000, 3 * directBaseline.ms));
          if (run.outcome === "passed")
            run = await runTests(copy, allTests, Math.max(60_000, 3 * baseline.ms));
          const status =
            run.outcome === "passed" ? "survived" : run.outcome === "timeout" ? "timeout" : "killed";
          const equivalent = equivalents.get(mutant.key) ?? null;
          results.push({ ...mutant, status, equivalent });
          const mark = status === "survived" ? (equivalent ? "≈" : "S") : status === "timeout" ? "T" : ".";
          report.files[path] = { ...summarize(results), complete: false };
          save();
          process.stdout.write(mark);
          if ((number + 1) % 60 === 0) process.stdout.write(` ${number + 1}\n`);
        }
      } finally {
        writeFileSync(target, source);
      }
      process.stdout.write("\n");
      report.files[path] = { ...summarize(results), complete: true };
    }
  } finally {
    if (!options.keep) rmSync(copy, { recursive: true, force: true });
  }
  save();
  printReport(report);
  console.log(`\nfull report: ${out}`);
}

function summarize(results) {
  const killed = results.filter((result) => result.status !== "survived").length;
  const equivalent = results.filter((result) => result.status === "survived" && result.equivalent).length;
  const survivors = results.filter((result) => result.status === "survived" && !result.equivalent);
  const counted = results.length - equivalent;
  return {
    mutants: results.length,
    killed,
    equivalent,
    survived: survivors.length,
    killRate: counted === 0 ? 1 : killed / counted,
    survivors: survivors.map(({ index, key, line, kind, original, replacement, lineText }) => ({
      index,
      key,
      line,
      kind,
      mutation: `${oneLine(original)} → ${replacement}`,
      lineText,
    })),
    equivalents: results
      .filter((result) => result.status === "survived" && result.equivalent)
      .map(({ key, line, equivalent }) => ({ key, line, reason: equivalent })),
    /** Counted as killed: runs over three times the unmutated time (an endless loop, or a busy machine). */
    timeouts: results
      .filter((result) => result.status === "timeout")
      .map(({ index, key }) => ({ index, key })),
    /** Equivalence entries that a test now kills: they can go from equivalent.json. */
    killedEquivalents: results
      .filter((result) => result.status !== "survived" && result.equivalent)
      .map((r) => r.key),
  };
}

function printReport(report) {
  console.log(`\nmutation report (${report.source})`);
  for (const [path, summary] of Object.entries(report.files)) {
    const rate = (summary.killRate * 100).toFixed(1);
    console.log(
      `\n${path}: ${summary.killed} of ${summary.mutants - summary.equivalent} killed (${rate} %), ` +
        `${summary.equivalent} equivalent set aside, ${summary.survived} survived`,
    );
    for (const survivor of summary.survivors) {
      console.log(
        `  ${path}:${survivor.line} [${survivor.kind}] ${survivor.mutation}   in: ${survivor.lineText}`,
      );
    }
  }
}

await main();
