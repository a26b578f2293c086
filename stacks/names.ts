/**
 * Stack names: folder names under cdktf.out/stacks and the names `cdktf deploy` takes. Kept apart from the
 * stacks so that scripts can name stacks without loading the provider bindings.
 */
export const STATE_BUCKET_STACK = "message-recorder-state";

export function pipelineStackName(environment: string): string {
  return `message-recorder-${environment}`;
}
