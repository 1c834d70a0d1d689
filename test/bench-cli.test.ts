import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { BenchUsageError, parseBenchArgs } from "../bench/lib/cli.js";
import { renderMarkdown } from "../bench/lib/markdown.js";
import type { Figure } from "../bench/lib/report.js";
import type { Scenario } from "../bench/scenarios/index.js";

/** `npm run bench -- <args>` without npm: its exit code and output. */
async function bench(...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const [code] = await once(child, "exit");
  return { code, stdout, stderr };
}

const scenario = (name: string): Scenario => ({
  name,
  summary: `what ${name} measures`,
  reading: `how to read ${name}`,
  run: async () => [],
});
const SCENARIOS = [scenario("read"), scenario("poller"), scenario("mirror")];

describe("npm run bench", () => {
  it("prints its usage, with every scenario and option, and exits 0 on --help", async () => {
    const { code, stdout } = await bench("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run bench/);
    for (const name of ["read", "fanout", "poller", "create", "startup", "mirror"]) expect(stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    for (const option of ["--quick", "--json <file>", "--markdown <file>", "--help"]) expect(stdout).toContain(option);
  });

  it("refuses an unknown option or scenario with a message and exit code 2, running nothing", async () => {
    const [flag, name] = await Promise.all([bench("--quik"), bench("read", "reed")]);
    expect(flag).toMatchObject({ code: 2, stdout: "" });
    expect(flag.stderr).toContain("unknown option --quik");
    expect(name).toMatchObject({ code: 2, stdout: "" });
    expect(name.stderr).toContain('unknown scenario "reed"; known: read, fanout, poller, create, startup, mirror');
  });

  it("reads the scenarios named, in the registry's order, and the options", () => {
    expect(parseBenchArgs(["mirror", "read", "--quick", "--markdown", "docs/benchmarks.md"], SCENARIOS)).toEqual({
      kind: "run",
      scenarios: [SCENARIOS[0], SCENARIOS[2]],
      quick: true,
      jsonFile: null,
      markdownFile: "docs/benchmarks.md",
    });
    expect(parseBenchArgs([], SCENARIOS)).toMatchObject({ kind: "run", scenarios: SCENARIOS, quick: false });
    expect(parseBenchArgs(["-h"], SCENARIOS)).toEqual({ kind: "help" });
    expect(() => parseBenchArgs(["--markdown"], SCENARIOS)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(["--json", "--quick"], SCENARIOS)).toThrow(BenchUsageError);
  });

  it("writes Markdown that names the command, the date and the machine beside the results table", () => {
    const figure: Figure = {
      scenario: "read",
      figure: "videoTask(id) with JWT on PostgreSQL",
      value: 563,
      unit: "req/s",
      bound: { label: "bare yoga, constant field", value: 3867, unit: "req/s" },
      ratio: 563 / 3867,
      goal: "≥ 0.60 of bare yoga",
      met: false,
      note: "p99 latency 115 ms",
    };
    const markdown = renderMarkdown({
      command: "npm run bench -- read --quick --markdown docs/benchmarks.md",
      startedAt: new Date("2026-12-02T12:30:00Z"),
      quick: true,
      machine: { cores: 2, cpuModel: "AMD EPYC", memoryGiB: 7.75, platform: "Linux 6.1 x64", node: "v20.20.2", loadAverage: 1.5 },
      scenarios: [SCENARIOS[0]],
      durations: { read: 25.04 },
      figures: [figure],
    });
    expect(markdown).toContain("Written by `npm run bench -- read --quick --markdown docs/benchmarks.md` on 2026-12-02 12:30 UTC");
    expect(markdown).toContain("2 × AMD EPYC, 7.8 GiB memory, Linux 6.1 x64, Node v20.20.2; load average 1.50");
    expect(markdown).toMatch(
      /^\| read +\| videoTask\(id\) with JWT on PostgreSQL \| 563 req\/s +\| bare yoga, constant field: 3867 req\/s \| 0\.15 +\| ≥ 0\.60 of bare yoga \| NO +\|$/m,
    );
    expect(markdown).toContain("- read / videoTask(id) with JWT on PostgreSQL: p99 latency 115 ms");
    expect(markdown).toContain("**read**. how to read read");
    expect(markdown).toContain("read 25.0 s");
    // docs/ is checked by Biome in CI: the page comes out the way its formatter lays it out.
    const biome = spawnSync(process.execPath, ["node_modules/@biomejs/biome/bin/biome", "format", "--stdin-file-path=benchmarks.md"], {
      input: markdown,
      encoding: "utf8",
    });
    expect(biome.status, biome.stderr).toBe(0);
    expect(biome.stdout).toBe(markdown);
  });
});
