import {
  ChangeMessageVisibilityBatchCommand,
  type DeleteMessageBatchCommandInput,
  type DeleteMessageBatchCommandOutput,
  type ReceiveMessageCommandOutput,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import type { FaultDice } from '../../shared/faults/fault-dice.js';
import type { FaultPlan } from '../../shared/faults/fault-plan.js';
import type { ReportFault } from '../../shared/faults/fault-reports.js';

/**
 * Faults of the SQS event source mappings, injected where the local cloud's pollers talk to SQS (middleware on the
 * pollers' own client; the poller code is the one `npm start` runs):
 * - `sqs-duplicate`: a message of a `DeleteMessageBatch` is not deleted although the call succeeds — the delete was
 *   lost, so SQS delivers the message again once its visibility timeout ends (SQS is at least once);
 * - `visibility-expired`: right after a `ReceiveMessage`, the batch's visibility timeout runs out while the function
 *   works on it, so another poller receives the same messages — in a FIFO queue, the same message group twice at
 *   once.
 */

export interface PollerFaultOptions {
  /** The plan in force, read at each call: `turnOff` is seen at once. */
  plan: () => Pick<FaultPlan, 'sqsDuplicateRate' | 'visibilityExpiryRate'>;
  dice: FaultDice;
  report: ReportFault;
  /** How long after the receive the visibility runs out: long enough for the invocation to have started. */
  expireAfterMs?: number;
  log: (line: string) => void;
}

const MAX_REMEMBERED = 50_000;

type Handler = (args: { input: unknown }) => Promise<{ output: unknown }>;

/** An SQS client for the pollers, configured as `config` says, with the poller faults. */
export function createFaultyPollerSqsClient(config: SQSClientConfig, options: PollerFaultOptions): SQSClient {
  const client = new SQSClient(config);
  const { plan, dice, report, log } = options;
  const expireAfterMs = options.expireAfterMs ?? 20;
  const site = 'sqs event source mapping';
  /** The messageId behind each receipt handle still in flight, to name what a lost delete struck. */
  const messageIds = new Map<string, string>();
  const remember = (receiptHandle: string, messageId: string) => {
    // A failed batch is never deleted: forget the oldest handles rather than grow without end.
    if (messageIds.size >= MAX_REMEMBERED) messageIds.delete(messageIds.keys().next().value ?? '');
    messageIds.set(receiptHandle, messageId);
  };

  const expire = (queueUrl: string, handles: Array<{ id: string; receiptHandle: string }>) => {
    setTimeout(() => {
      client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: handles.map(({ id, receiptHandle }) => ({
              Id: id,
              ReceiptHandle: receiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch((error: unknown) => log(`chaos: could not expire a batch's visibility: ${String(error)}`));
    }, expireAfterMs).unref();
  };

  const middleware =
    (next: Handler, context: { commandName?: string }) => async (args: { input: unknown }) => {
      switch (context.commandName) {
        case 'ReceiveMessageCommand': {
          const result = await next(args);
          const messages = (result.output as ReceiveMessageCommandOutput).Messages ?? [];
          for (const { MessageId, ReceiptHandle } of messages) {
            if (MessageId !== undefined && ReceiptHandle !== undefined) remember(ReceiptHandle, MessageId);
          }
          if (messages.length > 0 && dice.roll(plan().visibilityExpiryRate)) {
            const handles = messages.flatMap(({ MessageId, ReceiptHandle }, index) =>
              ReceiptHandle === undefined
                ? []
                : [{ id: String(index), receiptHandle: ReceiptHandle, MessageId }],
            );
            for (const { MessageId } of handles) {
              report({ kind: 'visibility-expired', site, target: MessageId ?? 'unknown' });
            }
            expire((args.input as { QueueUrl: string }).QueueUrl, handles);
          }
          return result;
        }
        case 'DeleteMessageBatchCommand': {
          const input = args.input as DeleteMessageBatchCommandInput;
          const entries = input.Entries ?? [];
          const lost = new Set(
            entries.filter(() => dice.roll(plan().sqsDuplicateRate)).map((entry) => entry.Id as string),
          );
          for (const entry of entries) {
            const messageId = messageIds.get(entry.ReceiptHandle ?? '') ?? 'unknown';
            messageIds.delete(entry.ReceiptHandle ?? '');
            if (lost.has(entry.Id as string)) report({ kind: 'sqs-duplicate', site, target: messageId });
          }
          if (lost.size === 0) return next(args);
          const kept = entries.filter((entry) => !lost.has(entry.Id as string));
          const result: { output: unknown } =
            kept.length === 0
              ? { output: { $metadata: {}, Successful: [], Failed: [] } }
              : await next({ ...args, input: { ...input, Entries: kept } });
          const output = result.output as DeleteMessageBatchCommandOutput;
          // SQS said yes: the delete was lost on its side, so the message simply comes back.
          return {
            ...result,
            output: {
              ...output,
              Successful: [...(output.Successful ?? []), ...[...lost].map((Id) => ({ Id }))],
            },
          };
        }
        default:
          return next(args);
      }
    };
  client.middlewareStack.add(middleware as never, {
    step: 'initialize',
    name: 'orderflowPollerFaults',
    priority: 'high',
  });
  return client;
}
