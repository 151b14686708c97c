// Insert a header line at the top of a (CSV) file and save.
// Usage: HEADER='id,name,amount' gigapad run examples/add-header.mjs export.csv
// The save writes a new file beside the old one and renames it into place: a crash never leaves
// half a file, and the bytes after the header are copied exactly.
export default async function addHeader(doc) {
  const header = process.env.HEADER ?? "# exported by gigapad";
  // Keep the file's own line ending (CRLF or LF).
  const firstLine = doc.lineCount() > 1 ? doc.read(0, doc.lineStart(1)) : Buffer.alloc(0);
  const eol = firstLine.length >= 2 && firstLine[firstLine.length - 2] === 13 ? "\r\n" : "\n";
  doc.insert(0, header + eol);
  await doc.save();
  console.log(`added a header to ${doc.path}`);
}
