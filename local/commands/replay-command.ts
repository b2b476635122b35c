import { parseArgs } from 'node:util';
import { createFailureSource } from '../../shared/adapters/failure-source.js';
import { createStreamConsumer } from '../../shared/adapters/stream-consumer.js';
import { createStreamRangeReader } from '../../shared/adapters/stream-range-reader.js';
import { runReplay } from '../../shared/app/replay.js';
import { type CommandIo, EXIT, runCommand, UsageError } from './command.js';
import type { LocalTarget } from './local-target.js';

export const REPLAY_USAGE = 'npm run replay -- --from activity-failures [--dry-run]';

/**
 * `npm run replay`: replays the Kinesis ranges named by the failure records in an on-failure destination queue of
 * the local cloud, through the consumers that gave up on them, and prints the report (JSON). Exit code 1 when a
 * range could not be replayed or a message is not a failure record: they stay in the queue.
 */
export function replayCommand(
  argv: readonly string[],
  connect: () => Promise<LocalTarget>,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'replay',
    REPLAY_USAGE,
    io,
    async () => {
      const { from, dryRun } = parseReplayArguments(argv);
      const target = await connect();
      try {
        const queueName = target.queueNames.find((name) => name === from || name.endsWith(`-${from}`));
        if (queueName === undefined) {
          throw new UsageError(
            `the stack has no queue named ${from} (its queues: ${target.queueNames.join(', ')})`,
          );
        }
        const report = await runReplay(localReplayPorts(target, queueName), { dryRun });
        io.out(JSON.stringify(report, null, 2));
        return report.failed.length + report.skipped.length > 0 ? EXIT.failed : EXIT.ok;
      } finally {
        target.close();
      }
    },
    () => 'Is the local cloud running (npm start)?',
  );
}

/**
 * The replay ports of the local cloud: the failure records of `queueName`, the stream read with the cloud's Kinesis
 * client, the consumers invoked through its Lambda Invoke API (what `npm run replay` and a chaos run use).
 */
export function localReplayPorts(target: LocalTarget, queueName: string) {
  return {
    failures: createFailureSource({ client: target.clients.sqs, queueName }),
    stream: createStreamRangeReader({
      client: target.clients.kinesis,
      region: target.region,
      invokeIdentityArn: `arn:aws:iam::${target.accountId}:root`,
    }),
    consumer: createStreamConsumer({ client: target.clients.lambda }),
  };
}

function parseReplayArguments(argv: readonly string[]): { from: string; dryRun: boolean } {
  let values: { from?: string; 'dry-run'?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { from: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.from === undefined || values.from === '') {
    throw new UsageError('--from names the on-failure destination queue to replay from');
  }
  return { from: values.from, dryRun: values['dry-run'] === true };
}
