/**
 * Compiled (not run) against the package's shipped types, the way a user's script sees them:
 * `import … from "gigapad"` resolves through package.json "exports" to dist/*.d.ts.
 */
import {
  type Document,
  type FindOptions,
  type Match,
  open,
  type RecoveredSession,
  SaveError,
  type SaveOptions,
  SessionLockedError,
} from "gigapad";

export async function everyMethodOfTheContract(path: string): Promise<void> {
  const doc: Document = await open(path, { readOnly: false, stateDir: "/tmp/state" });
  const length: number = doc.length;
  const where: string = doc.path;
  const recovered: RecoveredSession | null = doc.recovered;
  const bytes: Buffer = doc.read(0, length);
  const text: string = doc.getText();
  const lines: number = doc.lineCount() + doc.lineStart(0) + doc.lineAt(0);
  const line: string = doc.getLine(0);
  await doc.whenIndexed();
  doc.insert(0, "text");
  doc.insert(0, new Uint8Array([1, 2]));
  doc.delete(0, 1);
  doc.replace(0, 1, "x");
  const undone: boolean = doc.undo() && doc.redo();
  const options: FindOptions = {
    regex: true,
    caseSensitive: false,
    wholeWord: true,
    start: 0,
    end: 10,
    limit: 5,
  };
  for await (const match of doc.find(/re/, options)) {
    const found: Match = match;
    void found.start;
  }
  const replaced: number = await doc.replaceAll("a", "b");
  const counted: number = await doc.countMatches("a");
  await doc.commit();
  const saveOptions: SaveOptions = {
    force: false,
    onProgress: ({ bytesDone, bytesTotal }) => void (bytesDone / bytesTotal),
  };
  await doc.save(saveOptions);
  await doc.saveAs("/tmp/elsewhere.log");
  await doc.close();
  await doc.discard();
  void [where, recovered, bytes, text, lines, line, undone, replaced, counted];
  void [SaveError, SessionLockedError];
}

export async function mistakesTheTypesCatch(doc: Document): Promise<void> {
  // @ts-expect-error: offsets are numbers
  doc.insert("0", "text");
  // @ts-expect-error: find takes a string or a RegExp
  doc.find(42);
  // @ts-expect-error: unknown find option
  doc.find("x", { fuzzy: true });
  // @ts-expect-error: read returns a Buffer, not a string
  const text: string = doc.read(0, 1);
  void text;
}
