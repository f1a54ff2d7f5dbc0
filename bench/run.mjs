// `npm run bench`: every performance figure of Cosmo in ONE table, each row a measured ratio
// against a baseline measured in the same run (npm's CLI on the same test registry, a bare h3
// route, a clean start, live-plugin-manager), with its target and PASS/FAIL. Exits 1 when a row
// with a target fails. Writes the rows, the machine and the versions as JSON (the docs page's
// table and chart are made from that file).
//
// Each part runs as its own process (one after another, so they do not compete for the CPU):
//   packages/bundler/bench/check.mjs   the conflict check, in process
//   packages/runner/bench/apply.mjs    apply (incremental, fresh), the check through the API, memory
//   packages/runner/bench/runner.mjs   plugin route against bare h3, startup with 50 plugins
// They import the BUILT packages: run `npm run build` first.
//
//   node bench/run.mjs [--out docs/reference/bench-results.json] [--quick] [--only apply,runner,check]
//   --only also takes sections of a part: apply:incremental, apply:check, apply:fresh,
//   apply:memory, runner:route, runner:startup (e.g. --only apply:check,runner:route).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, freemem, platform, release, tmpdir, totalmem, loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    // Default: the file the docs' performance page is made from (a --quick run goes elsewhere).
    out: { type: "string" },
    // Fewer runs and applies: a smoke test of the harness, not figures to publish.
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});

const parts = {
  check: { script: "packages/bundler/bench/check.mjs", args: values.quick ? ["--runs", "3"] : [] },
  apply: {
    script: "packages/runner/bench/apply.mjs",
    args: values.quick ? ["--runs", "2", "--fresh-runs", "1", "--check-runs", "3", "--applies", "10"] : [],
  },
  runner: {
    script: "packages/runner/bench/runner.mjs",
    args: values.quick ? ["--rounds", "5", "--requests", "500", "--http-rounds", "3", "--http-requests", "200", "--starts", "5"] : [],
  },
};
const out = values.out ?? join(root, values.quick || values.only ? "bench/results/partial.json" : "docs/reference/bench-results.json");
// part -> its sections to run (undefined: all of them).
const selected = new Map();
for (const item of values.only ? values.only.split(",") : Object.keys(parts)) {
  const [part, section] = item.split(":");
  if (!parts[part]) throw new Error(`--only: unknown part ${part} (${Object.keys(parts).join(", ")})`);
  if (!section) selected.set(part, undefined);
  else if (!selected.has(part) || selected.get(part)) selected.set(part, [...(selected.get(part) ?? []), section]);
}

/** Runs one part; resolves with its rows. Its stderr (progress) goes through. */
async function runPart(name, dir, sections) {
  const { script } = parts[name];
  const args = [...parts[name].args, ...(sections ? ["--sections", sections.join(",")] : [])];
  const json = join(dir, `${name}.json`);
  process.stderr.write(`bench: ${name} (${script})...\n`);
  const child = spawn(process.execPath, [join(root, script), ...args, "--json", json], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return JSON.parse(await readFile(json, "utf8")).rows;
}

const verdict = (row) => {
  if (!row.target || !Number.isFinite(row.ratio)) return row.target ? "FAIL" : "info";
  const { op, value } = row.target;
  const ok = op === "<=" ? row.ratio <= value : op === "<" ? row.ratio < value : op === ">=" ? row.ratio >= value : row.ratio > value;
  return ok ? "PASS" : "FAIL";
};
const fmt = (n, unit) => (Number.isFinite(n) ? `${n >= 100 ? n.toFixed(0) : n.toFixed(1)} ${unit}` : "n/a");
const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×` : "n/a");

async function versionOf(cmd, args) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise((resolve) => child.on("close", resolve));
  return out.trim();
}
async function packageVersion(name) {
  try {
    return JSON.parse(await readFile(join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

const dir = await mkdtemp(join(tmpdir(), "cosmo-bench-"));
const startedAt = new Date();
const load = loadavg()[0];
const rows = [];
try {
  for (const [name, sections] of selected) rows.push(...(await runPart(name, dir, sections)));
} finally {
  await rm(dir, { recursive: true, force: true });
}
for (const row of rows) row.verdict = verdict(row);

const machine = {
  platform: `${platform()} ${release()}`,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memory_gb: Math.round(totalmem() / 2 ** 30),
  free_memory_gb: Math.round(freemem() / 2 ** 30),
  load_average_at_start: Number(load.toFixed(2)),
};
const versions = {
  node: process.versions.node,
  npm: await versionOf("npm", ["--version"]),
  arborist: await packageVersion("@npmcli/arborist"),
  h3: await packageVersion("h3"),
  verdaccio: await packageVersion("verdaccio"),
  "live-plugin-manager": await packageVersion("live-plugin-manager"),
  cosmo: JSON.parse(await readFile(join(root, "packages/runner/package.json"), "utf8")).version,
};

// The table: one row per figure, targets and verdicts last.
const header = ["figure", "cosmo", "baseline", "ratio", "target", "verdict"];
const table = rows.map((row) => [
  row.label,
  fmt(row.ours, row.unit),
  `${fmt(row.baseline, row.unit)} (${row.baselineLabel})`,
  fmtRatio(row.ratio) + (row.ratioMeaning ? ` ${row.ratioMeaning}` : ""),
  row.target ? `${row.target.op} ${row.target.value}${row.target.op.includes("<") && row.id.startsWith("rss") ? "" : "×"}` : "",
  row.verdict,
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(" | ");
console.log(`\nCosmo bench, ${startedAt.toISOString()}, node ${versions.node}, npm ${versions.npm}, ${machine.cores} × ${machine.cpu} (load ${machine.load_average_at_start})`);
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
for (const r of table) console.log(line(r));
const failed = rows.filter((r) => r.verdict === "FAIL");
console.log(failed.length === 0 ? "\nAll targets hold." : `\n${failed.length} target(s) missed: ${failed.map((r) => r.id).join(", ")}`);

await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify({ date: startedAt.toISOString(), quick: values.quick, machine, versions, rows }, null, 2)}\n`);
console.log(`Wrote ${relative(process.cwd(), out) || out}`);
process.exitCode = failed.length === 0 ? 0 : 1;
