import { parseArgs } from "node:util";
import type { Scenario } from "../scenarios/index.js";

/** What `npm run bench -- …` asked for. */
export type BenchRequest =
  | { kind: "help" }
  | {
      kind: "run";
      /** the scenarios to run, in the registry's order */
      scenarios: Scenario[];
      quick: boolean;
      /** where to write the figures as JSON, if asked */
      jsonFile: string | null;
      /** where to write the Markdown report, if asked */
      markdownFile: string | null;
    };

/** A command line the bench refuses; its message says why. */
export class BenchUsageError extends Error {}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  quick: { type: "boolean" },
  json: { type: "string" },
  markdown: { type: "string" },
} as const;

/** Reads the bench's arguments (what follows `npm run bench --`); throws BenchUsageError on anything unknown. */
export function parseBenchArgs(args: string[], scenarios: Scenario[]): BenchRequest {
  const { values, positionals } = parseStrictly(args);
  if (values.help) return { kind: "help" };
  const known = new Set(scenarios.map((s) => s.name));
  const unknownNames = positionals.filter((name) => !known.has(name));
  if (unknownNames.length) {
    throw new BenchUsageError(
      `unknown scenario${unknownNames.length > 1 ? "s" : ""} ${unknownNames.map((n) => `"${n}"`).join(", ")}; known: ${[...known].join(", ")}`,
    );
  }
  for (const [flag, file] of [
    ["--json", values.json],
    ["--markdown", values.markdown],
  ] as const) {
    if (file !== undefined && (file === "" || file.startsWith("-"))) throw new BenchUsageError(`${flag} needs a file name`);
  }
  return {
    kind: "run",
    scenarios: positionals.length ? scenarios.filter((s) => positionals.includes(s.name)) : scenarios,
    quick: values.quick ?? false,
    jsonFile: values.json ?? null,
    markdownFile: values.markdown ?? null,
  };
}

function parseStrictly(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's own message suggests passing the flag as a positional; say plainly what is wrong.
    const unknown = /^Unknown option '([^']+)'/.exec((err as Error).message);
    throw new BenchUsageError(unknown ? `unknown option ${unknown[1]}` : (err as Error).message);
  }
}

const HELP_WIDTH = 100; // columns

/** Splits text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** The text `npm run bench -- --help` prints. */
export function benchUsage(scenarios: Scenario[]): string {
  const width = Math.max(...scenarios.map((s) => s.name.length));
  return [
    "usage: npm run bench -- [<scenario> ...] [--quick] [--json <file>] [--markdown <file>]",
    "",
    "Measures each figure beside its bound, both taken in the same run, on 127.0.0.1 with bounded",
    "counts. Needs the PostgreSQL and Redis the tests use. Runs every scenario unless some are named.",
    "",
    "scenarios:",
    ...scenarios.flatMap((s) => wrap(s.summary, HELP_WIDTH - width - 4).map((line, i) => `  ${(i ? "" : s.name).padEnd(width)}  ${line}`)),
    "",
    "options:",
    "  --quick            smaller counts, for a quicker and rougher run",
    "  --json <file>      write the figures as JSON, for comparison between commits",
    "  --markdown <file>  write the results as Markdown, with the command, date and machine",
    "                     (docs/benchmarks.md is written this way)",
    "  -h, --help         print this and exit",
    "",
    "environment:",
    "  BENCH_POSTGRES_URL  PostgreSQL admin URL (default postgresql://postgres@127.0.0.1:5432/postgres)",
    "  BENCH_REDIS_URL     Redis URL (default redis://127.0.0.1:6379)",
    "  BENCH_CPU_PROF      a folder: the server processes write CPU profiles there",
  ].join("\n");
}
