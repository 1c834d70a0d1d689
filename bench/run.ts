// npm run bench [-- <scenario> ...] [--quick] [--json <file>]
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { type Figure, printTable } from "./lib/report.js";
import { create } from "./scenarios/create.js";
import { fanout } from "./scenarios/fanout.js";
import { mirror } from "./scenarios/mirror.js";
import { poller } from "./scenarios/poller.js";
import { read } from "./scenarios/read.js";
import { startup } from "./scenarios/startup.js";

const SCENARIOS: Record<string, (options: { quick: boolean }) => Promise<Figure[]>> = { read, fanout, poller, create, startup, mirror };

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonAt = args.indexOf("--json");
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : null;
const names = args.filter((a, i) => !a.startsWith("--") && !(jsonAt >= 0 && i === jsonAt + 1));
const chosen = names.length ? names : Object.keys(SCENARIOS);
for (const name of chosen) if (!SCENARIOS[name]) throw new Error(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(", ")}`);

console.log(
  `reelay bench: ${chosen.join(", ")}${quick ? " (quick)" : ""} on ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}`,
);
const figures: Figure[] = [];
for (const name of chosen) {
  const started = Date.now();
  figures.push(...(await SCENARIOS[name]({ quick })));
  console.log(`  ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
printTable(figures);
if (jsonFile) await writeFile(jsonFile, JSON.stringify({ at: new Date().toISOString(), quick, cpus: os.cpus().length, figures }, null, 2));
process.exit(0);
