// Child for the save kill tests: edits, commits, saves (in the save mode given, if any); reports
// progress with synchronous writes.
import { writeSync } from "node:fs";

const [path, stateDir, mode] = process.argv.slice(2);
const { open } = await import(new URL("../../dist/piece-table/index.js", import.meta.url).href);
const doc = await open(path, { stateDir });
doc.insert(0, "saved header\n");
doc.delete(20, 40);
doc.insert(doc.length, "\ntrailer");
await doc.commit();
writeSync(1, "committed\n");
await doc.save(mode ? { mode } : {});
writeSync(1, "saved\n");
doc.insert(0, "after save ");
await doc.close();
writeSync(1, "done\n");
