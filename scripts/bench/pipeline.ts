import "../local/node-compat";
import { LocalPipeline } from "../local/pipeline";
import { synthesizeFirstEnvironment } from "../synthesized/synth";
import { defineCli, runCli, wholeNumber } from "../cli/args";
import { Progress } from "../cli/progress";
import { machineLine, mean, ms, nowMs, percentile } from "./stats";

const CLI = defineCli({
  command: "npm run bench:pipeline --",
  summary:
    "Runs events through the offline pipeline and prints where the time goes per event (rule and start, the recorder, completion) " +
    "and the events per second.",
  options: {
    events: { value: "N", description: "events to publish", default: "500" },
    concurrency: { value: "C", description: "events in flight at once", default: "1" },
  },
});

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
  const args = CLI.parse(process.argv.slice(2));
  const events = args.has("events") ? wholeNumber("--events", args.string("events")) : 500;
  const concurrency = args.has("concurrency") ? wholeNumber("--concurrency", args.string("concurrency")) : 1;
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
  const progress = new Progress("bench:pipeline: events", events);
  const started = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) {
        await publishOne(next++);
        progress.tick();
      }
    }),
  );
  const seconds = (nowMs() - started) / 1000;
  progress.end();
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

runCli(CLI, main);
