// The test projects, one per package. vitest 4 no longer reads this file on its own:
// vitest.config.ts imports it into `test.projects`.
export default ["packages/core", "packages/bundler", "packages/runner", "packages/create-cosmo-plugin", "examples/smart-switch", "examples/node-http-host", "examples/h3-host", "docs"];
