// Measures the quick start: from `npm create cosmo-plugin` to the plugin's webhook answering in
// a local cosmo-runner, one step per command a user types, each timed. Plain Node; uses the
// BUILT workspace (run `npm run build` first) and @cosmo/test-kit's registry helper (TypeScript,
// loaded with jiti) so every npm call can only reach a registry on loopback.
//
//   node packages/create-cosmo-plugin/bench/quickstart.mjs [--runs 3]
//
// What stands in for what (no public registry is ever contacted):
// - `npm create cosmo-plugin@latest` runs from the workspace root, where npm exec finds the
//   workspace's own create-cosmo-plugin bin, so no download is timed;
// - `npm install` in the new plugin cannot fetch tsup/vitest/typescript from a registry with no
//   uplinks: the deps are linked from the workspace (as the e2e test does) and only the build
//   that `npm install` runs (the `prepare` script) is timed; a real install adds its download;
// - `npx cosmo-runner` is the workspace's bin (no npx download).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createJiti } from "jiti";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const RUNS = Number(values.runs);

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../../..");
const RUNNER = join(root, "packages/runner/bin/cosmo-runner.js");
const jiti = createJiti(import.meta.url);
const { startTestRegistry, registryEnv } = await jiti.import("@cosmo/test-kit");

/** Runs a command to its exit; rejects on a non-zero code. */
function run(cmd, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}`))));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function post(url) {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.once("error", () => resolve({ status: 0, text: "" }));
    req.end('{"hi":1}');
  });
}

// The e2e test's stand-in for `npm install` (see the header): links, then the prepare build.
async function linkDeps(dir) {
  const modules = join(dir, "node_modules");
  await mkdir(join(modules, "@cosmo"), { recursive: true });
  await mkdir(join(modules, ".bin"), { recursive: true });
  await symlink(join(root, "packages/core"), join(modules, "@cosmo/core"));
  for (const tool of ["tsup", "typescript", "vitest"]) {
    const toolDir = join(root, "node_modules", tool);
    await symlink(toolDir, join(modules, tool));
    const { bin } = JSON.parse(await readFile(join(toolDir, "package.json"), "utf8"));
    for (const [name, file] of Object.entries(typeof bin === "string" ? { [tool]: bin } : bin ?? {})) {
      await symlink(relative(join(modules, ".bin"), join(modules, tool, file)), join(modules, ".bin", name));
    }
  }
}

const registry = await startTestRegistry();
const rounds = [];
try {
  for (let round = 0; round < RUNS; round++) {
    const work = await mkdtemp(join(tmpdir(), "cosmo-quickstart-"));
    const { env: npmEnv, dir: npmDir } = await registryEnv(registry.url);
    const env = { ...npmEnv, COSMO_DATA_DIR: join(work, "data"), NO_COLOR: "1" };
    const plugin = join(work, "hello");
    const port = await freePort();
    const times = {};
    const step = async (name, fn) => {
      const t = performance.now();
      const result = await fn();
      times[name] = performance.now() - t;
      return result;
    };
    let runnerProcess;
    try {
      await step("1 npm create cosmo-plugin hello -- --yes", () => run("npm", ["create", "cosmo-plugin", plugin, "--", "--yes"], root, env));
      await linkDeps(plugin);
      await step("2 cd hello && npm install (build only)", () => run("npm", ["run", "build"], plugin, env));
      await step("3 cosmo-runner plugins install ./ --apply", () => run(process.execPath, [RUNNER, "plugins", "install", "./", "--apply"], plugin, env));
      await step("4 cosmo-runner start (until listening)", () => {
        runnerProcess = spawn(process.execPath, [RUNNER, "start", "--port", String(port)], { cwd: plugin, env, stdio: ["ignore", "pipe", "pipe"] });
        return new Promise((resolve, reject) => {
          let out = "";
          const onData = (d) => {
            out += d;
            if (/listening on/.test(out)) resolve();
          };
          runnerProcess.stdout.on("data", onData);
          runnerProcess.stderr.on("data", onData);
          runnerProcess.once("exit", (code) => reject(new Error(`runner exited ${code}\n${out}`)));
        });
      });
      const answer = await step("5 curl -X POST .../hello/hello", async () => {
        for (;;) {
          const res = await post(`http://127.0.0.1:${port}/hello/hello`);
          if (res.status === 200) return res;
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      if (!answer.text.includes('"plugin":"hello"')) throw new Error(`unexpected answer ${answer.text}`);
      rounds.push(times);
    } finally {
      if (runnerProcess && runnerProcess.exitCode === null) {
        runnerProcess.removeAllListeners("exit");
        const exited = new Promise((r) => runnerProcess.once("exit", r));
        runnerProcess.kill("SIGTERM");
        await exited;
      }
      await rm(work, { recursive: true, force: true });
      await rm(npmDir, { recursive: true, force: true });
    }
  }
} finally {
  await registry.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const steps = Object.keys(rounds[0]);
console.log(`quick start, ${RUNS} runs (median; min-max), seconds:`);
for (const name of steps) {
  const xs = rounds.map((r) => r[name] / 1000);
  console.log(`  ${name.padEnd(46)} ${median(xs).toFixed(2)}  (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
}
const totals = rounds.map((r) => Object.values(r).reduce((a, b) => a + b, 0) / 1000);
console.log(`  ${"total".padEnd(46)} ${median(totals).toFixed(2)}  (${Math.min(...totals).toFixed(2)}-${Math.max(...totals).toFixed(2)})`);
