// Jest's transformer for the TypeScript sources: esbuild strips the types of one file at a time (tsconfig's
// isolatedModules keeps that safe), with a source map for stack traces. No test relies on jest.mock hoisting.
const { transformSync, version } = require("esbuild");
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");

const SELF = createHash("sha256").update(readFileSync(__filename)).digest("hex");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "node20",
      sourcemap: "external",
      sourcefile: filename,
      sourcesContent: false,
    });
    return { code, map };
  },
  // Jest's own key would cover the config and coverage instrumentation; a custom one must name them itself, and this
  // file, whose options shape the output.
  getCacheKey(source, filename, options) {
    return createHash("sha256")
      .update([version, SELF, filename, options.configString, String(Boolean(options.instrument))].join("\0"))
      .update(source)
      .digest("hex");
  },
};
