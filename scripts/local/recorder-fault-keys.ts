import { FaultKeys } from "./faults";

/**
 * Glue: where the recorder's requests name the message they are about, so faults planned for an event id hit
 * that event's requests: the task payload's `Record.messageId`, the stored item's `messageId`, and the
 * `putStatus.messageId` of the answer it sends with SendTaskSuccess.
 */
export const RECORDER_FAULT_KEYS: FaultKeys = {
  ofPayload: (payload) => text((payload as { Record?: { messageId?: unknown } } | null)?.Record?.messageId),
  ofPutItem: (request) => text((request as { Item?: { messageId?: { S?: unknown } } } | null)?.Item?.messageId?.S),
  ofTaskOutput: (output) => {
    try {
      return text((JSON.parse(output) as { putStatus?: { messageId?: unknown } } | null)?.putStatus?.messageId);
    } catch {
      return undefined;
    }
  },
};

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
