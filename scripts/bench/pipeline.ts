import "../local/node-compat";
import { LocalPipeline } from "../local/pipeline";
import { synthesizeFirstEnvironment } from "../local/synth";
import { parseArgs, runCli, wholeNumber } from "../ops/args";
import { machineLine, mean, ms, nowMs, percentile } from "./stats";

const USAGE = "usage: npm run bench:pipeline -- [--events N] [--concurrency C]";

/**
 * npm run bench:pipeline [-- --events N] [-- --concurrency C]
 *
 * Events per second through the offline pipeline (rule -> state machine -> recorder -> dynalite -> callback ->
 * state machine end), built from a fresh synth, with per-stage latency percentiles:
 *   rule+start:  publish until the Task invokes the recorder (pattern match, execution start, Parameters)
 *   recorder:    the recorder from its zip: validation, conditional PutItem on dynalite, SendTaskSuccess
 *   completion:  from the recorder's return until the execution ends (callback delivery, Choice, Succeed)
 */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ["--events", "--concurrency"]);
  const events = args.events === undefined ? 500 : wholeNumber("--events", args.events);
  const concurrency = args.concurrency === undefined ? 1 : wholeNumber("--concurrency", args.concurrency);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

  const stages = { ruleAndStart: [] as number[], recorder: [] as number[], completion: [] as number[], total: [] as number[] };
  const marks = new Map<string, { published: number; invoked?: number; returned?: number }>();
  const pipeline = await LocalPipeline.start({
    stackDir: synthesizeFirstEnvironment(),
    invokeFunction: async (payload, invoke) => {
      const id = (payload as { Record: { messageId: string } }).Record.messageId;
      const mark = marks.get(id)!;
      mark.invoked = nowMs();
      const result = await invoke(payload);
      mark.returned = nowMs();
      return result;
    },
  });

  const publishOne = async (n: number) => {
    const id = `bench-${n}`;
    const mark = { published: nowMs() } as { published: number; invoked?: number; returned?: number };
    marks.set(id, mark);
    const result = await pipeline.publish({
      id,
      source: "com.devpost.commonevent",
      "detail-type": "message",
      time: "2022-04-16T12:20:00Z",
      detail: { message: JSON.stringify({ n }) },
    });
    const ended = nowMs();
    if (result.execution?.status !== "SUCCEEDED") throw new Error(`event ${id} ended ${result.execution?.status}`);
    stages.ruleAndStart.push(mark.invoked! - mark.published);
    stages.recorder.push(mark.returned! - mark.invoked!);
    stages.completion.push(ended - mark.returned!);
    stages.total.push(ended - mark.published);
  };

  for (let i = 0; i < 20; i++) await publishOne(-1 - i);
  for (const key of Object.keys(stages) as Array<keyof typeof stages>) stages[key].length = 0;

  let next = 0;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) await publishOne(next++);
    }),
  );
  const seconds = (nowMs() - started) / 1000;
  await pipeline.close();

  const out = process.stdout;
  out.write(`${machineLine()}\n`);
  out.write(`${events} events, concurrency ${concurrency}: ${(events / seconds).toFixed(1)} events/s (${seconds.toFixed(2)} s)\n`);
  for (const [name, samples] of Object.entries(stages)) {
    out.write(
      `  ${name.padEnd(13)} p50 ${ms(percentile(samples, 50))}  p99 ${ms(percentile(samples, 99))}  mean ${ms(mean(samples))}  share of total ${((mean(samples) / mean(stages.total)) * 100).toFixed(0)}%\n`,
    );
  }
}

runCli(USAGE, main);
