// Builds the demo page's script: js/demo/src/app.mjs plus our client and the real yjs,
// bundled by esbuild into js/demo/dist/app.js (git-ignored). Run from anywhere:
//   node js/build-demo.mjs [--watch]
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const options = {
  entryPoints: [join(here, "demo/src/app.mjs")],
  outfile: join(here, "demo/dist/app.js"),
  bundle: true,
  format: "esm",
  target: ["es2022"],
  platform: "browser",
  minify: true,
  sourcemap: true,
  legalComments: "linked", // yjs and lib0 licence notices go to app.js.LEGAL.txt
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
