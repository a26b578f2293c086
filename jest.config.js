/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking runs once in `npm test` (tsc --noEmit); here ts-jest only transpiles, which keeps it fast.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  setupFiles: ["<rootDir>/__tests__/support/setup-env.ts"],
  globalSetup: "<rootDir>/__tests__/support/global-setup.js",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.js",
  testSequencer: "<rootDir>/__tests__/support/sequencer.js",
  testTimeout: 120000,
  maxWorkers: 2,
};
