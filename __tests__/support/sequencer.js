// Runs the Terraform tier, the quick-start walk and the type check first: those files are the slowest, and starting them while the other worker takes
// the fast files keeps the whole run short on a fresh clone, where Jest has no timings to order by.
const Sequencer = require("@jest/test-sequencer").default;

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const weight = (test) => (/(terraform[^/]*|quick-start|typecheck)\.test\.ts$/.test(test.path) ? 0 : 1);
    return [...tests].sort((a, b) => weight(a) - weight(b) || a.path.localeCompare(b.path));
  }
}

module.exports = SlowFirstSequencer;
