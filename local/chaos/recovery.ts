import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDeadLetterSource } from '../../shared/adapters/dead-letter-source.js';
import { createRedriveTarget } from '../../shared/adapters/redrive-target.js';
import { type RedrivePorts, type RedriveReport, runRedrive } from '../../shared/app/redrive-dlq.js';
import { type ReplayReport, runReplay } from '../../shared/app/replay.js';
import { REDRIVE_QUEUES, type RedriveQueue } from '../../shared/wiring/redrive-ports.js';
import { localRedrivePorts } from '../commands/local-redrive-ports.js';
import type { LocalTarget } from '../commands/local-target.js';
import { localReplayPorts } from '../commands/replay-command.js';
import { queueDepth } from '../load/observe.js';
import type { DeadLetterKind } from '../template/packaged-stack.js';

/**
 * The way back after the faults, with the code of `npm run redrive` and `npm run replay`: every DLQ redriven to the
 * queue its messages came from — a subscription's DLQ before its queue's own, since what SNS gave up on precedes,
 * in its message group, what the consumer later refused as a gap — and the on-failure destination replayed.
 */

/** A dead-letter queue of the stack, and — for a DLQ that is redriven — the queue it goes back to. */
export interface RecoverableQueue {
  name: string;
  url: string;
  kind: DeadLetterKind;
  /** The source queue's name: set for queue and subscription DLQs, not for an on-failure destination. */
  sourceQueueName?: string;
}

export interface RecoveryTarget {
  /** The cloud as the commands see it: functions (their environments), clients, Lambda's Invoke API. */
  local: LocalTarget;
  deadLetterQueues: readonly RecoverableQueue[];
}

export interface RecoveryPass {
  redrives: RedriveReport[];
  replays: Array<{ queue: string; report: ReplayReport; startedAt: number; endedAt: number }>;
}

/** How one DLQ is redriven: the name its lock and parked messages go by, and its ports. */
export function redrivePortsOf(
  target: RecoveryTarget,
  queue: RecoverableQueue,
): { name: string; ports: RedrivePorts } | undefined {
  const { local } = target;
  if (queue.sourceQueueName === undefined) return undefined;
  const byCommand = localRedrivePorts(local.functions, local.clients);
  const commandQueue = commandQueueOf(local, queue);
  if (queue.kind === 'queue-dlq' && commandQueue !== undefined) {
    // Exactly `npm run redrive -- --queue <name>`.
    return { name: commandQueue, ports: byCommand(commandQueue) };
  }
  // A subscription's DLQ: the same redrive, from that DLQ, into the queue the subscription delivers to.
  const { parking, lock } = byCommand(REDRIVE_QUEUES[0]);
  const sqs: SQSClient = local.clients.sqs;
  return {
    name: `${commandQueue ?? queue.sourceQueueName}-subscription`,
    ports: {
      source: createDeadLetterSource({ client: sqs, queueName: queue.name }),
      target: createRedriveTarget({ client: sqs, queueName: queue.sourceQueueName }),
      parking,
      lock,
    },
  };
}

/** `fulfillment` or `review`: the command's name of the queue the DLQ belongs to, by redriveDlq's environment. */
function commandQueueOf(local: LocalTarget, queue: RecoverableQueue): RedriveQueue | undefined {
  const environment = local.functions.find((fn) => fn.name.endsWith('-redriveDlq'))?.environment ?? {};
  return REDRIVE_QUEUES.find(
    (name) => environment[`${name.toUpperCase()}_QUEUE_NAME`] === queue.sourceQueueName,
  );
}

/**
 * One pass of the way back: redrives each non-empty DLQ (subscription DLQs first, then — once `waitQuiet` says the
 * queues took what came back — the queues' own DLQs), then replays each non-empty on-failure destination.
 */
export async function recoverOnce(
  target: RecoveryTarget,
  { owner, waitQuiet }: { owner: string; waitQuiet: () => Promise<unknown> },
): Promise<RecoveryPass> {
  const pass: RecoveryPass = { redrives: [], replays: [] };
  const { sqs } = target.local.clients;
  for (const kind of ['subscription-dlq', 'queue-dlq'] as const) {
    let moved = 0;
    for (const queue of target.deadLetterQueues.filter((each) => each.kind === kind)) {
      if ((await queueDepth(sqs, queue.url)) === 0) continue;
      const redrive = redrivePortsOf(target, queue);
      if (redrive === undefined) continue;
      const report = await runRedrive(redrive.ports, { queue: redrive.name, owner });
      pass.redrives.push(report);
      moved += report.moved.length;
    }
    if (moved > 0) await waitQuiet();
  }
  for (const queue of target.deadLetterQueues.filter((each) => each.kind === 'on-failure')) {
    if ((await queueDepth(sqs, queue.url)) === 0) continue;
    const startedAt = Date.now();
    const report = await runReplay(localReplayPorts(target.local, queue.name));
    pass.replays.push({ queue: queue.name, report, startedAt, endedAt: Date.now() });
  }
  return pass;
}
