/**
 * Stack names: folder names under cdktf.out/stacks and the names `cdktf deploy` takes. Kept apart from the
 * stacks so that scripts can name stacks without loading the provider bindings.
 */
export const STATE_BUCKET_STACK = "message-recorder-state";

export function pipelineStackName(environment: string): string {
  return `message-recorder-${environment}`;
}

/**
 * The alias of the state bucket's key, made by the bootstrap stack. Every S3 backend names it as `kms_key_id`:
 * with `encrypt = true` and no key, Terraform sends `ServerSideEncryption: AES256` with every state write, which
 * overrides the bucket's SSE-KMS default. An alias resolves in the caller's account, the bucket's.
 * https://developer.hashicorp.com/terraform/language/backend/s3 (kms_key_id)
 */
export const STATE_KEY_ALIAS_NAME = "message-recorder-tfstate";

/** The `project` tag of every resource of the app (the provider's default tags). */
export const PROJECT_TAG = "message-recorder";

/**
 * The names npm run reconcile gives its replays of an archive, `<archive>-reconcile-<time>` (at most 64 characters),
 * so the operator policy can allow exactly those.
 */
export function reconcileReplayPrefix(archiveName: string): string {
  return `${archiveName.slice(0, 40)}-reconcile-`;
}
