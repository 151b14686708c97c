/**
 * The child process of `gigapad crashtest`: runs the campaign's workload on a copy of the file
 * and reports each stage on stdout with synchronous writes, so nothing is lost when it is killed.
 */
import { writeSync } from "node:fs";
import { open } from "../piece-table/index.js";
import { runCampaignWorkload } from "./crash-campaign.js";

const [path, stateDir] = process.argv.slice(2);
if (!path || !stateDir) {
  process.stderr.write("usage: crashtest-child FILE STATE_DIR\n");
  process.exit(2);
}
const doc = await open(path, { stateDir });
await runCampaignWorkload(doc, (line) => writeSync(1, `${line}\n`));
await doc.close();
writeSync(1, "done\n");
