// Redact secrets in place: every `password=...` and `token=...` value becomes ***, then save.
// Usage: gigapad run examples/redact.mjs app.log
// Works on a multi-GB log: replaceAll streams and the save copies untouched bytes kernel-side.
export default async function redact(doc) {
  const count = await doc.replaceAll(/\b(password|token)=[^\s&]+/, "$1=***");
  await doc.save();
  console.log(`redacted ${count} secret${count === 1 ? "" : "s"} in ${doc.path}`);
}
