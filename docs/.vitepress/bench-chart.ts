/**
 * The performance page's chart, made when the site is built from the JSON `npm run bench` writes
 * (docs/reference/bench-results.json): one bar per figure that has a target, its length how far
 * the measured ratio is from the target (the line at 1 is the target; past it the target holds),
 * green when it holds, red when it does not. Plain SVG text, so the page shows it without script.
 */

/** One row of the bench's JSON (bench/run.mjs). */
export interface BenchRow {
  id: string;
  label: string;
  unit: string;
  ours: number;
  baseline: number;
  baselineLabel: string;
  ratio: number;
  ratioMeaning?: string;
  target?: { op: "<=" | "<" | ">=" | ">"; value: number };
  verdict: "PASS" | "FAIL" | "info";
  detail?: Record<string, number>;
}

/** The whole JSON file. */
export interface BenchResults {
  date: string;
  quick?: boolean;
  machine: Record<string, string | number>;
  versions: Record<string, string | undefined>;
  rows: BenchRow[];
}

/** How many times the target a row does: above 1 it holds, below 1 it misses by that factor. */
export function targetScore(row: BenchRow): number {
  if (!row.target || !Number.isFinite(row.ratio) || row.ratio <= 0) return 0;
  return row.target.op.startsWith("<") ? row.target.value / row.ratio : row.ratio / row.target.value;
}

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A measured ratio as the table prints it. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "n/a";
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/** A measured value with its unit. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${unit}`;
}

/** A target as the table prints it. */
export function formatTarget(row: BenchRow): string {
  return row.target ? `${row.target.op} ${row.target.value}×` : "";
}

// Short names for the chart's rows; the table beside it has the full labels.
const SHORT: Record<string, string> = {
  "apply-incremental": "Incremental apply",
  "apply-fresh": "Fresh apply of 10",
  "check-api": "Install check (admin API)",
  "route-http": "Plugin route over HTTP",
  startup: "Startup with 50 plugins",
  "rss-growth": "RSS growth over applies",
};

/** The chart as SVG markup. */
export function benchChartSvg(results: BenchResults): string {
  const rows = results.rows.filter((row) => row.target);
  const width = 800;
  const labelWidth = 190;
  const barArea = 380;
  const textX = labelWidth + barArea + 12;
  const rowHeight = 34;
  const top = 34;
  const height = top + rows.length * rowHeight + 30;
  // The axis runs to 2× the target (longer bars are clipped and marked with an arrow).
  const max = 2;
  const x = (score: number) => labelWidth + (Math.min(score, max) / max) * barArea;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="bench-chart-title" font-family="system-ui, sans-serif" font-size="12">`,
    `<title id="bench-chart-title">Each figure against its target, from the run of ${escape(results.date)}</title>`,
    `<text x="${labelWidth}" y="16" fill="currentColor">measured / target: right of the dashed line, the target holds</text>`,
  ];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const score = targetScore(row);
    const pass = row.verdict === "PASS";
    const label = SHORT[row.id] ?? (row.label.length > 30 ? `${row.label.slice(0, 28)}…` : row.label);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" fill="currentColor"><title>${escape(row.label)}</title>${escape(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${(x(score) - labelWidth).toFixed(1)}" height="18" rx="2" fill="${pass ? "#2e9d58" : "#d0453a"}" />`,
      score > max ? `<text x="${x(score) - 14}" y="${y + 17}" fill="#fff">→</text>` : "",
      `<text x="${textX}" y="${y + 17}" fill="currentColor">${escape(`${formatRatio(row.ratio)} (target ${formatTarget(row)}) ${row.verdict}`)}</text>`,
    );
  });
  const targetX = x(1);
  parts.push(
    `<line x1="${targetX}" y1="${top - 4}" x2="${targetX}" y2="${top + rows.length * rowHeight}" stroke="currentColor" stroke-dasharray="4 3" />`,
    `<text x="${targetX}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="currentColor">target</text>`,
    "</svg>",
  );
  return parts.filter(Boolean).join("\n");
}
