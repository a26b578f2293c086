/** Reading a synthesized stack (cdk.tf.json) by resource type, for the scripts that work from the synth output. */
export type Resource = Record<string, any>;

export interface StackJson {
  readonly resource: Record<string, Record<string, Resource>>;
}

/** The one resource of a type; refuses a stack with none or several. */
export function onlyResource(stack: StackJson, type: string): Resource {
  const found = Object.values(stack.resource[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type} in the stack, found ${found.length}`);
  return found[0];
}
