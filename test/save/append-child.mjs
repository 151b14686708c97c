// Child for the append-save kill tests: appends to a log, commits, saves (the in-place path).
import { writeSync } from "node:fs";

const [path, stateDir] = process.argv.slice(2);
const { open } = await import(new URL("../../dist/piece-table/index.js", import.meta.url).href);
const doc = await open(path, { stateDir });
doc.insert(doc.length, "appended line one\nappended line two\n".repeat(50));
await doc.commit();
writeSync(1, "committed\n");
await doc.save();
writeSync(1, "saved\n");
await doc.close();
writeSync(1, "done\n");
