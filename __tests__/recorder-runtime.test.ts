import { execFile } from "node:child_process";
import { createSocket, Socket } from "node:dgram";
import { createServer, Server } from "node:http";
import { AddressInfo } from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import AdmZip from "adm-zip";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { loadSettings, MissingEnvironmentVariableError } from "../lambdas/recorder/settings";
import { createTracer, traced } from "../lambdas/recorder/tracing";
import { temporaryDirectory } from "../scripts/temp-dir";
import { testArchive } from "./support/synth";

const run = promisify(execFile);
const SAMPLED_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1";
const IN_LAMBDA = { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x", LAMBDA_TASK_ROOT: "/var/task" };

describe("recorder settings", () => {
  test("throws MissingEnvironmentVariableError naming MESSAGES_TABLE_NAME when it is missing or empty", () => {
    for (const env of [{}, { MESSAGES_TABLE_NAME: "" }]) {
      expect(() => loadSettings(env)).toThrow(new MissingEnvironmentVariableError("MESSAGES_TABLE_NAME"));
      expect(() => loadSettings(env)).toThrow("environment variable MESSAGES_TABLE_NAME is not set");
    }
    expect(loadSettings({ MESSAGES_TABLE_NAME: "MessagesTable-dev" })).toEqual({ tableName: "MessagesTable-dev" });
  });
});

describe("recorder tracing", () => {
  test.each([
    ["outside Lambda", {}],
    ["in Lambda with POWERTOOLS_TRACE_ENABLED=false", { ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: "false" }],
  ])("%s there is no tracer and the clients are left as they are", (_case, env) => {
    expect(createTracer(env)).toBeUndefined();
    const client = new DynamoDBClient({ region: "us-east-1" });
    expect(traced(undefined, client)).toBe(client);
    expect(client.middlewareStack.identify().join("\n")).not.toContain("XRay");
  });

  /** Loads the built bundle in a fresh node process, as a new execution environment would, and runs `script` there. */
  async function inBundle(env: Record<string, string>, script: string): Promise<{ stdout: string; stderr: string }> {
    const taskRoot = temporaryDirectory("tracing-task-root");
    new AdmZip(testArchive().zipPath).extractAllTo(taskRoot, true);
    return run(process.execPath, ["-e", `const bundle = require(${JSON.stringify(path.join(taskRoot, "index.js"))});\n${script}`], {
      env: {
        PATH: process.env.PATH ?? "",
        MESSAGES_TABLE_NAME: "MessagesTable-test",
        AWS_REGION: "us-east-1",
        // Node.js 20 here, 22 in Lambda: the SDK's warning about it is not what these tests look for.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...env,
      },
    });
  }

  test.each([
    ["outside Lambda", "false", {}],
    ["in Lambda with POWERTOOLS_TRACE_ENABLED=false", "false", { ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: "false" }],
    ["in Lambda with tracing on", "true", IN_LAMBDA],
  ])("%s, loading the bundle loads the X-Ray SDK (and its process-wide async hook): %s", async (_case, loaded, env) => {
    // cls-hooked, which the X-Ray SDK loads, marks the process with `process.namespaces`.
    const { stdout, stderr } = await inBundle(env, 'process.stdout.write(String("namespaces" in process));');
    expect(stdout).toBe(loaded);
    expect(stderr).toBe("");
  });

  describe("in Lambda with tracing on, against a local X-Ray daemon", () => {
    let daemon: Socket;
    let endpoint: Server;
    const datagrams: string[] = [];
    beforeAll(async () => {
      daemon = createSocket("udp4", (message) => datagrams.push(message.toString("utf8")));
      await new Promise<void>((resolve) => daemon.bind(0, "127.0.0.1", resolve));
      // Answers every DynamoDB and Step Functions call with an empty success.
      endpoint = createServer((req, res) => {
        req.resume();
        req.on("end", () => res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}"));
      });
      await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      daemon?.close();
      await new Promise((resolve) => endpoint?.close(resolve));
    });

    test("each SDK call of a sampled invocation is sent as a subsegment; an invocation without a trace id sends nothing", async () => {
      const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
      const input = { MyTaskToken: "token", Record: { messageId: "m-1", createdAt: "2022-04-16T12:20:00Z", event: {} } };
      // The Node.js runtime sets _X_AMZN_TRACE_ID in process.env for each invocation; the first one has none.
      const { stderr } = await inBundle(
        {
          ...IN_LAMBDA,
          AWS_LAMBDA_LOG_LEVEL: "FATAL",
          AWS_ACCESS_KEY_ID: "local",
          AWS_SECRET_ACCESS_KEY: "local",
          AWS_ENDPOINT_URL_DYNAMODB: url,
          AWS_ENDPOINT_URL_SFN: url,
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        },
        `(async () => {
        await bundle.handler(${JSON.stringify(input)});
        process.env._X_AMZN_TRACE_ID = ${JSON.stringify(SAMPLED_TRACE)};
        await bundle.handler(${JSON.stringify(input)});
      })();`,
      );
      expect(stderr).toBe("");
      for (let waited = 0; datagrams.length < 2 && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      // Each datagram is the daemon header line, then one subsegment as JSON.
      const subsegments = datagrams.map(
        (d) => JSON.parse(d.split("\n")[1]) as { name: string; trace_id: string; aws: { operation: string } },
      );
      expect(subsegments.map((s) => [s.name, s.aws.operation, s.trace_id])).toEqual([
        ["DynamoDB", "PutItem", "1-5759e988-bd862e3fe1be46a994272793"],
        ["SFN", "SendTaskSuccess", "1-5759e988-bd862e3fe1be46a994272793"],
      ]);
    });
  });
});
