// Realistic bench plugins for the test registry: each plugin is an ESM package with a cosmo.json,
// a few files and three or four dependencies from a pool of CommonJS libraries (three versions
// each, some depending on another), so installing ten plugins installs ~38 packages, as a small
// real plugin set does. Every plugin imports its dependencies and registers one route, so a
// worker start really loads them.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Libraries in the pool. */
export const LIBS = 24;

/** The name of bench plugin `i`. */
export const pluginName = (i) => `bench-plugin-${i}`;

/** Some bytes of text so packages weigh what small real ones do (a README, a source file). */
function prose(name, kb) {
  const line = `${name}: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\n`;
  return line.repeat(Math.ceil((kb * 1024) / line.length));
}

async function writePackage(root, files) {
  const pkg = JSON.parse(files["package.json"]);
  const dir = join(root, `${pkg.name}@${pkg.version}`);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(dir, file, ".."), { recursive: true });
    await writeFile(join(dir, file), content);
  }
}

function libFiles(i, version) {
  const name = `bench-lib-${i}`;
  const dependencies = i % 3 === 0 && i + 1 < LIBS ? { [`bench-lib-${i + 1}`]: "^1.0.0" } : {};
  const requires = Object.keys(dependencies).map((d) => `exports[${JSON.stringify(d)}] = require(${JSON.stringify(d)});\n`).join("");
  return {
    "package.json": JSON.stringify({ name, version, main: "lib/index.js", license: "MIT", dependencies }, null, 2),
    "README.md": `# ${name}\n\n${prose(name, 4)}`,
    LICENSE: `MIT License\n\n${prose("license", 1)}`,
    "lib/index.js": `"use strict";\nexports.util = require("./util");\nexports.format = require("./format");\n${requires}exports.version = ${JSON.stringify(version)};\n`,
    "lib/util.js": `"use strict";\n// ${prose(name, 3).replace(/\n/g, "\n// ")}\nexports.id = (x) => x;\n`,
    "lib/format.js": `"use strict";\nexports.format = (x) => String(x) + ${JSON.stringify(name)};\n`,
    "lib/index.d.ts": `export declare const version: string;\n`,
  };
}

function pluginFiles(p) {
  const name = pluginName(p);
  const dependencies = {};
  for (let k = 0; k < 3 + (p % 2); k++) dependencies[`bench-lib-${(p * 5 + k * 7) % LIBS}`] = "^1.0.0";
  const imports = Object.keys(dependencies).map((d, k) => `import dep${k} from ${JSON.stringify(d)};\n`).join("");
  const uses = Object.keys(dependencies).map((_, k) => `dep${k}.version`).join(", ");
  return {
    "package.json": JSON.stringify(
      { name, version: "1.0.0", type: "module", main: "dist/index.js", license: "MIT", dependencies, peerDependencies: { "@cosmo/core": "*" } },
      null,
      2,
    ),
    "cosmo.json": JSON.stringify({ name, version: "1.0.0", plugin_class: "./dist/index.js:Plugin", requires_webhooks: true, webhook_prefix: `/bench-${p}` }),
    "README.md": `# ${name}\n\n${prose(name, 3)}`,
    "dist/index.js": `${imports}\nexport class Plugin {\n  setup(ctx) {\n    const versions = [${uses}];\n    ctx.route("GET", "/hello", () => ({ ok: true, plugin: ${p}, versions }));\n  }\n}\n`,
    "dist/index.d.ts": "export declare class Plugin {}\n",
  };
}

/** Writes the libraries (three versions each) and plugins 0..plugins-1 as fixture dirs under `root`. */
export async function writeBenchFixtures(root, plugins) {
  for (const version of ["1.0.0", "1.1.0", "2.0.0"]) {
    for (let i = 0; i < LIBS; i++) await writePackage(root, libFiles(i, version));
  }
  for (let p = 0; p < plugins; p++) await writePackage(root, pluginFiles(p));
}
