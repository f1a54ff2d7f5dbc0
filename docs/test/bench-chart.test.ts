// The performance page is made from the JSON of a real `npm run bench` run: the file must hold
// every figure the issue asks for, each verdict must follow from its ratio and target, and the
// chart drawn from it has one bar per figure with a target.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { benchChartSvg, targetScore, type BenchResults } from "../.vitepress/bench-chart";

const results = JSON.parse(readFileSync(new URL("../reference/bench-results.json", import.meta.url), "utf8")) as BenchResults;

describe("the performance page's data", () => {
  it("holds every figure, with the targets the bench holds us to", () => {
    const targets = Object.fromEntries(results.rows.filter((r) => r.target).map((r) => [r.id, r.target]));
    expect(targets).toEqual({
      "apply-incremental": { op: "<=", value: 1 },
      "apply-fresh": { op: "<=", value: 0.5 },
      "check-api": { op: ">=", value: 25 },
      "route-http": { op: ">=", value: 0.9 },
      startup: { op: "<=", value: 1.2 },
      "rss-growth": { op: "<", value: 1.1 },
    });
    for (const id of ["apply-incremental-lpm", "apply-fresh-lpm", "check-in-process", "rss-50"]) {
      expect(results.rows.map((r) => r.id)).toContain(id);
    }
    expect(results.versions.node).toMatch(/^\d+\./);
    expect(results.machine.cores).toBeGreaterThan(0);
  });

  it("gives each targeted figure the verdict its ratio earns", () => {
    for (const row of results.rows.filter((r) => r.target)) {
      const holds = row.target!.op === "<" ? row.ratio < row.target!.value : targetScore(row) >= 1;
      expect(row.verdict, row.id).toBe(holds ? "PASS" : "FAIL");
    }
  });

  it("draws one bar per targeted figure, coloured by its verdict", () => {
    const svg = benchChartSvg(results);
    const targeted = results.rows.filter((r) => r.target);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(targeted.length);
    expect(svg.match(/fill="#2e9d58"/g) ?? []).toHaveLength(targeted.filter((r) => r.verdict === "PASS").length);
    // Each bar's tooltip is the figure's full label.
    for (const row of targeted) expect(svg).toContain(`<title>${row.label.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</title>`);
  });
});
