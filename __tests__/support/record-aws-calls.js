// Preloaded (node --require) into a CLI run as a process: appends every AWS call it makes to the JSONL file
// RECORD_AWS_CALLS, as the SDK client sends it (client, command, input, region) or, for the REST API, as fetch does.
const { appendFileSync } = require("node:fs");
const file = process.env.RECORD_AWS_CALLS;
const record = (call) => appendFileSync(file, `${JSON.stringify(call)}\n`);
const { Client } = require("@smithy/core/client");
const send = Client.prototype.send;
Client.prototype.send = function (command, ...rest) {
  const call = { client: this.constructor.name, command: command.constructor.name.replace(/Command$/, ""), input: command.input };
  // The region the call is signed for, as the client resolved it (configuration, AWS_REGION, the profile).
  return Promise.resolve(this.config.region()).then((region) => {
    record({ ...call, region });
    return send.call(this, command, ...rest);
  });
};
const originalFetch = globalThis.fetch;
globalThis.fetch = (url, init = {}) => {
  record({ client: "fetch", command: init.method ?? "GET", input: { url: String(url) } });
  return originalFetch(url, init);
};
