// npm run bench [-- <scenario> ...] [--quick] [--json <file>] [--markdown <file>]; --help for usage.
import { writeFile } from "node:fs/promises";
import { BenchUsageError, benchUsage, parseBenchArgs } from "./lib/cli.js";
import { benchCommand, describeMachine, renderMarkdown } from "./lib/markdown.js";
import { type Figure, printTable } from "./lib/report.js";
import { SCENARIOS } from "./scenarios/index.js";

const args = process.argv.slice(2);
let request: ReturnType<typeof parseBenchArgs>;
try {
  request = parseBenchArgs(args, SCENARIOS);
} catch (err) {
  if (!(err instanceof BenchUsageError)) throw err;
  console.error(`npm run bench: ${err.message}\nSee npm run bench -- --help`);
  process.exit(2);
}
if (request.kind === "help") {
  console.log(benchUsage(SCENARIOS));
  process.exit(0);
}

const { scenarios, quick, jsonFile, markdownFile } = request;
const machine = describeMachine();
const startedAt = new Date();
console.log(
  `reelay bench: ${scenarios.map((s) => s.name).join(", ")}${quick ? " (quick)" : ""} on ${machine.cores} × ${machine.cpuModel}, node ${machine.node}`,
);
const figures: Figure[] = [];
const durations: Record<string, number> = {};
for (const scenario of scenarios) {
  const started = Date.now();
  figures.push(...(await scenario.run({ quick })));
  durations[scenario.name] = (Date.now() - started) / 1000;
  console.log(`  ${scenario.name} done in ${durations[scenario.name].toFixed(1)} s`);
}
printTable(figures);
if (jsonFile) {
  await writeFile(jsonFile, JSON.stringify({ at: startedAt.toISOString(), quick, cpus: machine.cores, machine, figures }, null, 2));
}
if (markdownFile) {
  const command = benchCommand(args);
  await writeFile(markdownFile, renderMarkdown({ command, startedAt, quick, machine, scenarios, durations, figures }));
  console.log(`wrote ${markdownFile}`);
}
process.exit(0);
