import "../local/node-compat";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import AdmZip from "adm-zip";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendTaskSuccessCommand, SFNClient } from "@aws-sdk/client-sfn";
import { buildRecorderArchive } from "../../stacks/constructs/bundling/build";
import { MESSAGE_KEY } from "../../stacks/constructs/messages-table";
import { createTable, LOCAL_AWS, startDynamoDB } from "../local/dynamodb";
import { extractArchive, Handler } from "../local/lambda-archive";
import { TaskCallbackEndpoint } from "../local/task-callbacks";
import { BENCH_RESULTS_DIR, LAMBDA_BENCH_INPUT_PATH, LambdaBenchResult } from "../cost/facts";
import { defineCli, runCli, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { machineLine, mean, ms, nowMs, percentile } from "./stats";
import { temporaryDirectory } from "../temp-dir";

const CLI = defineCli({
  command: "npm run bench:lambda --",
  summary:
    "Measures the recorder: bundle size, cold module load, and warm per-record latency of the handler against a bare PutItem + " +
    "SendTaskSuccess with the same clients, alternating, on local DynamoDB. Prints the ratio; --save makes the mean the cost model's input.",
  options: {
    records: { value: "N", description: "records per side", default: "1000" },
    tracing: { description: "with X-Ray on (every invocation sampled); printed only, never saved" },
    save: { description: "write the handler's mean to scripts/cost/handler-duration.json (then npm run readme)" },
  },
});

/**
 * npm run bench:lambda [-- --records N] [--tracing] [--save]
 *
 * Results go to .bench/lambda.json (untracked). With --save they also become the cost model's input
 * (scripts/cost/handler-duration.json); the cost table in docs/ changes only with `npm run readme`.
 *
 * Measures, in one run against the same dynalite and callback endpoint: the bundle size, the cold module load of
 * the bundle, and the warm per-record latency of the handler against a bare PutItem + SendTaskSuccess sequence
 * with the same SDK clients. Handler and baseline alternate record by record so that both see the same
 * machine state.
 *
 * With --tracing the handler runs as in Lambda with X-Ray tracing on: AWS_EXECUTION_ENV is set, every
 * invocation gets a sampled _X_AMZN_TRACE_ID, and the subsegments go to a local UDP socket standing in for the
 * X-Ray daemon. The X-Ray SDK's async hook is process-wide, so the bare calls pay it too: the ratio is then the
 * handler's own tracing work, and the bare mean against a run without --tracing is the hook's. Those figures
 * are printed only, not saved for the cost model.
 */
async function main(): Promise<void> {
  const args = CLI.parse(process.argv.slice(2));
  const records = args.has("records") ? wholeNumber("--records", args.string("records")) : 1000;
  const tracing = args.flag("tracing");
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

  const archive = buildRecorderArchive({ outDir: temporaryDirectory("bench-archive") });
  const bundle = new AdmZip(archive.zipPath).getEntry("index.js")!.getData();

  const dynamodb = await startDynamoDB();
  const callbacks = await TaskCallbackEndpoint.start();
  const table = "MessagesTable-bench";
  await createTable(dynamodb.client, { name: table, hash_key: MESSAGE_KEY.name, attribute: [{ ...MESSAGE_KEY }] });
  const environment = {
    MESSAGES_TABLE_NAME: table,
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    AWS_ENDPOINT_URL_SFN: callbacks.endpoint,
    AWS_LAMBDA_LOG_LEVEL: "ERROR",
  };
  const xrayDaemon = createSocket("udp4");
  let segmentsSent = 0;
  if (tracing) {
    xrayDaemon.on("message", () => segmentsSent++);
    await new Promise<void>((resolve) => xrayDaemon.bind(0, "127.0.0.1", resolve));
    Object.assign(environment, {
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayDaemon.address().port}`,
    });
  }

  // Cold module load: unzip to a new task root and require the bundle, as a new execution environment would.
  // With tracing, each load would add one more process-wide async hook, so the bundle is loaded once.
  const coldLoads: number[] = [];
  let handler = loadInProcess(archive.zipPath, archive.handler, environment);
  for (let i = 0; i < (tracing ? 0 : 10); i++) {
    const started = nowMs();
    handler = loadInProcess(archive.zipPath, archive.handler, environment);
    coldLoads.push(nowMs() - started);
  }

  // The baseline: the same two calls with clients configured the same way, no validation, no logging.
  const bareDynamoDB = new DynamoDBClient({});
  const bareSfn = new SFNClient({});
  let counter = 0;
  const nextInput = () => {
    const messageId = `bench-${++counter}`;
    const token = `token-${counter}`;
    void callbacks.waitFor(token).catch(() => undefined);
    return {
      token,
      messageId,
      input: { MyTaskToken: token, Record: { messageId, createdAt: "2022-04-16T12:20:00Z", event: { hello: "world", n: counter } } },
    };
  };
  const viaHandler = async () => {
    const { input } = nextInput();
    // As the Node.js runtime does for each invocation of a traced function.
    if (tracing)
      process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=1`;
    await handler(input);
  };
  const bare = async () => {
    const { token, messageId } = nextInput();
    await bareDynamoDB.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          messageId: { S: messageId },
          createdAt: { N: "1650111600000" },
          event: { S: JSON.stringify({ hello: "world", n: counter }) },
        },
      }),
    );
    await bareSfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ statusCode: 200 }) }));
  };

  for (let i = 0; i < 50; i++) {
    await viaHandler();
    await bare();
  }
  const handlerTimes: number[] = [];
  const bareTimes: number[] = [];
  const progress = new Progress("bench:lambda: records, each side", records);
  for (let i = 0; i < records; i++) {
    progress.tick();
    const [first, second, firstTimes, secondTimes] =
      i % 2 === 0 ? ([viaHandler, bare, handlerTimes, bareTimes] as const) : ([bare, viaHandler, bareTimes, handlerTimes] as const);
    let started = nowMs();
    await first();
    firstTimes.push(nowMs() - started);
    started = nowMs();
    await second();
    secondTimes.push(nowMs() - started);
  }
  progress.end();
  bareDynamoDB.destroy();
  bareSfn.destroy();
  await dynamodb.close();
  await callbacks.close();
  if (tracing) await new Promise((resolve) => setTimeout(resolve, 200)).then(() => xrayDaemon.close());
  else xrayDaemon.close();

  const out = process.stdout;
  out.write(`${machineLine()}\n`);
  if (tracing) out.write(`tracing on: ${segmentsSent} subsegments sent to the local X-Ray daemon (2 per handler call)\n`);
  out.write(
    `bundle: index.js ${(bundle.length / 1024).toFixed(0)} KiB, archive.zip ${(statSync(archive.zipPath).size / 1024).toFixed(0)} KiB\n`,
  );
  if (!tracing) out.write(`cold module load (unzip + require of the bundle), median of 10: ${ms(percentile(coldLoads, 50))}\n`);
  out.write(`warm latency over ${records} records each, against dynalite + local callback endpoint:\n`);
  out.write(
    `  handler:            mean ${ms(mean(handlerTimes))}  p50 ${ms(percentile(handlerTimes, 50))}  p99 ${ms(percentile(handlerTimes, 99))}\n`,
  );
  out.write(
    `  bare Put+Callback:  mean ${ms(mean(bareTimes))}  p50 ${ms(percentile(bareTimes, 50))}  p99 ${ms(percentile(bareTimes, 99))}\n`,
  );
  const ratio = `  ratio handler / bare: mean ${(mean(handlerTimes) / mean(bareTimes)).toFixed(3)}x, p50 ${(percentile(handlerTimes, 50) / percentile(bareTimes, 50)).toFixed(3)}x (target <= 1.2x)\n`;
  if (tracing) {
    out.write(ratio);
    return;
  }
  const saved: LambdaBenchResult = {
    date: new Date().toISOString().slice(0, 10),
    machine: machineLine().replace(/^machine: /, ""),
    records,
    handlerMeanMs: Number(mean(handlerTimes).toFixed(3)),
    handlerP50Ms: Number(percentile(handlerTimes, 50).toFixed(3)),
    bareMeanMs: Number(mean(bareTimes).toFixed(3)),
    coldLoadMs: Number(percentile(coldLoads, 50).toFixed(1)),
    bundleBytes: bundle.length,
    zipBytes: statSync(archive.zipPath).size,
  };
  mkdirSync(BENCH_RESULTS_DIR, { recursive: true });
  const resultsFile = path.join(BENCH_RESULTS_DIR, "lambda.json");
  writeFileSync(resultsFile, `${JSON.stringify(saved, null, 2)}\n`);
  out.write(ratio);
  out.write(`results: ${path.relative(process.cwd(), resultsFile)}\n`);
  if (args.flag("save")) {
    writeFileSync(LAMBDA_BENCH_INPUT_PATH, `${JSON.stringify(saved, null, 2)}\n`);
    out.write(
      `saved as the cost model's input ${path.relative(process.cwd(), LAMBDA_BENCH_INPUT_PATH)}; run npm run readme to redraw the cost table in docs/cost-and-capacity.md\n`,
    );
  }
}

/**
 * The handler in this process, as the Node.js runtime loads it (the offline pipeline runs functions in worker
 * threads, whose message passing would be measured as the handler's): the environment becomes this process's.
 */
function loadInProcess(zipPath: string, handlerName: string, environment: Record<string, string>): Handler {
  const taskRoot = extractArchive(zipPath);
  Object.assign(process.env, { LAMBDA_TASK_ROOT: taskRoot, ...environment });
  const [file, exportName] = [handlerName.slice(0, handlerName.lastIndexOf(".")), handlerName.slice(handlerName.lastIndexOf(".") + 1)];
  return (createRequire(path.join(taskRoot, "noop.js"))(path.join(taskRoot, file)) as Record<string, Handler>)[exportName];
}

runCli(CLI, main);
