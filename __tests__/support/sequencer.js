// Runs the moto tier first (about 3.5 minutes, mostly the AWS provider's own waits), then the Terraform tier, checkov,
// the quick-start walk and the type check: those files are the slowest, and starting them while the other worker takes
// the fast files keeps the whole run short on a fresh clone, where Jest has no timings to order by.
const Sequencer = require("@jest/test-sequencer").default;

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const weight = (test) =>
      /moto\.test\.ts$/.test(test.path) ? 0 : /(terraform[^/]*|checkov|quick-start|typecheck)\.test\.ts$/.test(test.path) ? 1 : 2;
    return [...tests].sort((a, b) => weight(a) - weight(b) || a.path.localeCompare(b.path));
  }
}

module.exports = SlowFirstSequencer;
