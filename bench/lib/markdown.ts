import os from "node:os";
import type { Scenario } from "../scenarios/index.js";
import { type Figure, noteLines, tableLines, tableRows } from "./report.js";

/** The facts of the machine a run was measured on. */
export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  node: string;
  /** one-minute load average when the run started: other work on the machine moves the figures */
  loadAverage: number;
}

/** One finished run of `npm run bench`, as the Markdown report tells it. */
export interface BenchRun {
  /** the command line that produced it, e.g. `npm run bench -- --quick --markdown docs/benchmarks.md` */
  command: string;
  startedAt: Date;
  quick: boolean;
  machine: Machine;
  scenarios: Scenario[];
  /** seconds each scenario took, by name */
  durations: Record<string, number>;
  figures: Figure[];
}

/** Reads this machine's facts. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown CPU",
    memoryGiB: os.totalmem() / 1024 ** 3,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg()[0],
  };
}

/** The command line a person types to repeat a run with these arguments. */
export function benchCommand(args: string[]): string {
  return args.length ? `npm run bench -- ${args.join(" ")}` : "npm run bench";
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** docs/benchmarks.md: how the figures were made, the results table and how to read it. */
export function renderMarkdown(run: BenchRun): string {
  const { machine } = run;
  const rows = tableRows(run.figures);
  const when = `${run.startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const notes = noteLines(run.figures);
  const readings = run.scenarios.filter((s) => s.reading);
  return [
    "# Benchmarks",
    "",
    `<!-- Written by \`${run.command}\`. Do not edit: run the command again. -->`,
    "",
    `Written by \`${run.command}\` on ${when}${run.quick ? ", with the smaller counts of `--quick`" : ""}.`,
    "",
    `Machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB memory, ${machine.platform}, Node ${machine.node}; ` +
      `load average ${machine.loadAverage.toFixed(2)} when the run started. The load generator, the servers, the mock providers, ` +
      "the S3 test server, PostgreSQL and Redis all share those cores.",
    "",
    "Each figure is measured beside its bound in the same run, on 127.0.0.1. The ratio is value ÷ bound, or bound ÷ value " +
      "when lower is better, so above 1 is always better than the bound. Absolute figures move between runs on a shared " +
      "machine; the ratios are the comparison to trust.",
    "",
    "## Results",
    "",
    ...tableLines(rows.map((row) => row.map(cell))),
    "",
    ...(notes.length ? ["Notes:", "", ...notes.map((note) => `- ${note}`), ""] : []),
    `Time per scenario: ${run.scenarios.map((s) => `${s.name} ${run.durations[s.name]?.toFixed(1) ?? "?"} s`).join(", ")}.`,
    "",
    "## What each scenario measures",
    "",
    ...run.scenarios.map((s) => `- **${s.name}**: ${s.summary}.`),
    "",
    ...(readings.length ? ["## Reading the figures", "", ...readings.flatMap((s) => [`**${s.name}**. ${s.reading}`, ""])] : []),
    "## Running it",
    "",
    "`npm run bench` runs every scenario; `npm run bench -- <scenario> ...` runs some; `npm run bench -- --help` lists the " +
      "scenarios and options. It needs the PostgreSQL and Redis the tests use. `--quick` runs smaller counts; " +
      "`--json <file>` writes the figures for comparison between commits; `--markdown <file>` writes this page; " +
      "`BENCH_CPU_PROF=<dir>` profiles the server processes.",
    "",
  ].join("\n");
}
