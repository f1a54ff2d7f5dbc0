// Not an API: the pieces of a worker the repository's benches time on their own
// (bench/runner.mjs: one worker start, and the worker's app over HTTP). Built to
// dist/bench-internals.js, which package.json's `exports` does not list, so no import
// from outside this repository reaches it.
export { loadBundle, countPlugins } from "./worker/plugins";
export { createWorkerApp } from "./worker/app";
export { mountPluginRoutes } from "./http/plugin-routes";
