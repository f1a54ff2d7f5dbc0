// Runs shell blocks the way a reader pastes them into terminals: the first one (a server) in the
// background until its output shows `ready`, then the next one to its end, then stops the first
// with SIGINT to its process group, as Ctrl-C does. Prints one JSON line with what each terminal printed.
// Usage: node terminals.mjs <plan.json>   (plan: { cwd, terminals: [{ code, ready? }] })
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));

function open(code) {
  const child = spawn("bash", ["-e", "-c", code], { cwd: plan.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const term = { child, output: "", exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))) };
  child.stdout.on("data", (d) => (term.output += d));
  child.stderr.on("data", (d) => (term.output += d));
  return term;
}

function ready(term, pattern) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pattern.test(term.output)) resolve();
    };
    term.child.stdout.on("data", check);
    term.child.stderr.on("data", check);
    term.exited.then(() => reject(new Error(`exited before ${pattern}:\n${term.output}`)));
  });
}

const results = [];
const background = [];
try {
  for (const t of plan.terminals) {
    const term = open(t.code);
    if (t.ready) {
      background.push(term);
      await ready(term, new RegExp(t.ready));
      results.push({ output: term.output, code: null });
    } else {
      const { code } = await term.exited;
      results.push({ output: term.output, code });
    }
  }
} catch (error) {
  results.push({ output: String(error.message), code: -1 });
} finally {
  for (const term of background) {
    try {
      process.kill(-term.child.pid, "SIGINT");
    } catch {
      // already gone
    }
    const ended = await term.exited;
    results[plan.terminals.findIndex((t) => t.ready)].stopped = ended;
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
