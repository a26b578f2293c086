import { createRequire } from "node:module";

/**
 * cdktf 0.21 records a full stack trace for every token it creates (each Lazy and Intrinsic), kept only to
 * decorate the rare "unresolvable token" error. Under source maps (tsx, Jest) that capture is the largest single
 * cost of a synth: a third of `npm run synth` and two thirds of a test's in-memory synth here. It is a known
 * upstream problem with this very workaround (https://github.com/hashicorp/terraform-cdk/issues/3892); AWS CDK
 * stopped capturing these traces unless CDK_DEBUG is set, and cdktn made them optional
 * (CDKTN_DISABLE_CREATION_STACK, open-constructs/cdk-terrain#215), which replaces this on a move to cdktn.
 *
 * Set CDK_DEBUG (true, 1 or on, as AWS CDK reads it) to keep the traces. A cdktf without the module is left as it is.
 */
export function skipTokenCreationStacks(env: NodeJS.ProcessEnv = process.env): void {
  if (["true", "1", "on"].includes((env.CDK_DEBUG ?? "").toLowerCase())) return;
  let stackTrace: { captureStackTrace?: unknown };
  try {
    // A dynamic require: the module is cdktf's private one, which another cdktf may not have, and is patched in place.
    stackTrace = createRequire(__filename)("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace?: unknown };
  } catch {
    return;
  }
  if (typeof stackTrace.captureStackTrace === "function") stackTrace.captureStackTrace = () => [];
}
