/** One measured figure beside the bound it is judged against, both from the same run. */
export interface Figure {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  /** what the value is compared with: a peer measured in the same run, or a fixed goal */
  bound: { label: string; value: number; unit: string } | null;
  /** value / bound (or bound / value when lower is better, so > 1 is always "better than the bound") */
  ratio: number | null;
  goal: string;
  met: boolean | null;
  note?: string;
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The results table: a header row, then one row per figure. */
export function tableRows(figures: Figure[]): string[][] {
  return [
    ["scenario", "figure", "value", "bound", "ratio", "goal", "met"],
    ...figures.map((f) => [
      f.scenario,
      f.figure,
      `${fmt(f.value)} ${f.unit}`.trim(),
      f.bound ? `${f.bound.label}: ${fmt(f.bound.value)} ${f.bound.unit}`.trim() : "-",
      f.ratio === null ? "-" : fmt(f.ratio),
      f.goal,
      f.met === null ? "-" : f.met ? "yes" : "NO",
    ]),
  ];
}

/** `scenario / figure: note` for every figure that has a note. */
export function noteLines(figures: Figure[]): string[] {
  return figures.filter((f) => f.note).map((f) => `${f.scenario} / ${f.figure}: ${f.note}`);
}

/** The rows as a Markdown table with padded columns (the layout Biome's formatter gives it). */
export function tableLines(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(rows[0]), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.slice(1).map(line)];
}

export function printTable(figures: Figure[]) {
  for (const line of tableLines(tableRows(figures))) console.log(line);
  for (const note of noteLines(figures)) console.log(`  ${note}`);
}

export function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Samples this process's resident set size until stopped; returns the peak. */
export function sampleRss(everyMs = 20) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

export const MIB = 1024 * 1024;
