import { App } from "cdktf";
import { AppConfig } from "./config";
import { LambdaArchive } from "./constructs/recorder-function";
import { PipelineStack } from "./pipeline-stack";

/** Stack names are folder names under cdktf.out/stacks and the names `cdktf deploy` takes. */
export function pipelineStackName(environment: string): string {
  return `message-recorder-${environment}`;
}

export interface DefinedStacks {
  readonly pipelines: readonly PipelineStack[];
}

/** Adds every stack of the configuration to the app. */
export function defineStacks(app: App, config: AppConfig, recorderArchive: LambdaArchive): DefinedStacks {
  const pipelines = config.environments.map(
    (environment) => new PipelineStack(app, pipelineStackName(environment.environment), { config: environment, recorderArchive }),
  );
  return { pipelines };
}
