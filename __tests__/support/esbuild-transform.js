// Jest's transformer for the TypeScript sources: esbuild strips the types of one file at a time (tsconfig's
// isolatedModules keeps that safe), with a source map for stack traces. No test relies on jest.mock hoisting.
const { transformSync, version } = require("esbuild");
const { createHash } = require("node:crypto");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: "ts", format: "cjs", target: "node20", sourcemap: "external", sourcefile: filename, sourcesContent: false });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash("sha256").update(version).update("\0").update(filename).update("\0").update(source).digest("hex");
  },
};
