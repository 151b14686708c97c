// Copy the lines matching a regular expression into a new file, without loading the log.
// Usage: PATTERN='ERROR|FATAL' OUT=errors.log gigapad run examples/extract-lines.mjs app.log
import { closeSync, openSync, writeSync } from "node:fs";

export default async function extractLines(doc) {
  const pattern = new RegExp(process.env.PATTERN ?? "ERROR");
  const out = process.env.OUT ?? `${doc.path}.matches`;
  const fd = openSync(out, "w");
  let lines = 0;
  let lastLine = -1;
  try {
    for await (const { start } of doc.find(pattern)) {
      const line = doc.lineAt(start);
      if (line === lastLine) continue; // one copy of a line with several matches
      lastLine = line;
      const from = doc.lineStart(line);
      const to = line + 1 < doc.lineCount() ? doc.lineStart(line + 1) : doc.length;
      const bytes = doc.read(from, to);
      writeSync(fd, bytes);
      if (to === doc.length && bytes[bytes.length - 1] !== 10) writeSync(fd, "\n");
      lines++;
    }
  } finally {
    closeSync(fd);
  }
  console.log(`wrote ${lines} matching line${lines === 1 ? "" : "s"} to ${out}`);
}
