import { App } from "cdktf";
import { AppConfig } from "./config";
import { skipTokenCreationStacks } from "./creation-stacks";
import { LambdaArchive } from "./constructs/recorder-function";
import { PipelineStack } from "./pipeline-stack";
import { pipelineStackName, STATE_BUCKET_STACK } from "./names";
import { StateBucketStack } from "./state-bucket-stack";

export { pipelineStackName } from "./names";

export interface DefinedStacks {
  /** Absent when no environment keeps its state in S3 (backend `cloud` everywhere): nothing would use the bucket. */
  readonly stateBucket?: StateBucketStack;
  readonly pipelines: readonly PipelineStack[];
}

/**
 * Adds every stack of the configuration to the app. Each function bundles its own entry at synth, reusing the
 * archive while its inputs are unchanged; a prebuilt recorder archive (tests build one per run) can be given.
 */
export function defineStacks(app: App, config: AppConfig, recorderArchive?: LambdaArchive): DefinedStacks {
  skipTokenCreationStacks();
  const usesS3 = config.environments.some((environment) => environment.backend.type === "s3");
  const stateBucket = usesS3
    ? new StateBucketStack(app, STATE_BUCKET_STACK, { region: config.stateRegion, bucketName: config.stateBucket })
    : undefined;
  const pipelines = config.environments.map(
    (environment) =>
      new PipelineStack(app, pipelineStackName(environment.environment), {
        config: environment,
        ...(recorderArchive ? { recorderArchive } : {}),
      }),
  );
  return { ...(stateBucket ? { stateBucket } : {}), pipelines };
}
