import { readFile } from 'node:fs/promises';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { redriveCommand } from '../../../local/commands/redrive-command.js';
import type { RedriveReport } from '../../../shared/app/redrive-dlq.js';
import { lambdaContext } from '../../support/api-event.js';
import { capturedIo, mockedLocalTarget } from '../../support/command-harness.js';
import { MockedRedriveAws, REDRIVE_ENVIRONMENT } from '../../support/mocked-redrive-aws.js';

/**
 * The five behaviours of issue 6's second "Done when" line — dry run, max, order filter, parking, the lock —
 * through both entry points, `redriveDlq` and `npm run redrive`, on the real adapters over mocked SQS and DynamoDB.
 */
const aws = new MockedRedriveAws();
const ORDER_A = '0b6c1f9e-3a2d-4e5f-8a7b-9c0d1e2f3a4b';
const ORDER_B = '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';

interface RedriveRequest {
  queue: 'fulfillment';
  dryRun?: boolean;
  max?: number;
  orderId?: string;
  parkAfter?: number;
  unpark?: string[];
}
type Outcome = { report: RedriveReport } | { refused: string };
type EntryPoint = (request: RedriveRequest) => Promise<Outcome>;

let viaLambda: EntryPoint;

/** `npm run redrive -- <flags>`: the command's code with the local target's clients (mocked by prototype). */
const viaCommand: EntryPoint = async (request) => {
  const args = ['--queue', request.queue];
  if (request.dryRun) args.push('--dry-run');
  if (request.max !== undefined) args.push('--max', String(request.max));
  if (request.orderId !== undefined) args.push('--order', request.orderId);
  if (request.parkAfter !== undefined) args.push('--park-after', String(request.parkAfter));
  for (const messageId of request.unpark ?? []) args.push('--unpark', messageId);
  const io = capturedIo();
  const code = await redriveCommand(
    args,
    async () =>
      mockedLocalTarget({
        functions: [{ name: 'orderflow-local-redriveDlq', environment: { ...REDRIVE_ENVIRONMENT } }],
        queueNames: [],
      }),
    io,
  );
  if (code !== 0) return { refused: `exit ${code}: ${io.stderr.join('\n')}` };
  return { report: JSON.parse(io.stdout.join('\n')) as RedriveReport };
};

const envelope = (orderId: string, seq: number) =>
  JSON.stringify({
    eventId: `${orderId}-${seq}`,
    type: seq === 1 ? 'OrderPlaced' : 'OrderPaid',
    orderId,
    seq,
  });

/** A dead letter of the fulfillment DLQ: `<order letter><seq>` as its message id. */
function deadLetter(orderId: string, seq: number, redriveCount?: number) {
  const messageId = `${orderId === ORDER_A ? 'A' : 'B'}${seq}`;
  aws.enqueue('FULFILLMENT_DLQ_NAME', {
    messageId,
    groupId: orderId,
    body: envelope(orderId, seq),
    ...(redriveCount === undefined ? {} : { redriveCount }),
  });
}

/** Where each message is now: back in the source queue (by body), still in the DLQ, staged, or parked. */
function whereabouts() {
  const idOf = (body: unknown) => {
    const { orderId, seq } = JSON.parse(String(body)) as { orderId: string; seq: number };
    return `${orderId === ORDER_A ? 'A' : 'B'}${seq}`;
  };
  const messageIdOf = (item: Record<string, unknown>) =>
    String((item.message as { messageId: string }).messageId);
  return {
    source: aws.messagesIn('FULFILLMENT_QUEUE_NAME').map((message) => idOf(message.body)),
    dlq: aws.messagesIn('FULFILLMENT_DLQ_NAME').map((message) => message.messageId),
    staged: aws.items('STAGED#fulfillment').map(messageIdOf).sort(),
    parked: aws.items('PARKED#fulfillment').map(messageIdOf),
  };
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(REDRIVE_ENVIRONMENT)) vi.stubEnv(name, value);
  const { handler } = (await import('../../../functions/redrive-dlq.js')) as unknown as {
    handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<RedriveReport>;
  };
  viaLambda = async (request) => {
    try {
      return { report: await handler(request, lambdaContext()) };
    } catch (error) {
      return { refused: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  };
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  aws.reset();
});

describe.each([
  ['the redriveDlq Lambda', () => viaLambda],
  ['npm run redrive', () => viaCommand],
])('redrive through %s', (_name, entryPoint) => {
  const redrive = (request: RedriveRequest) => entryPoint()(request);

  it('changes nothing on a dry run: plans what an earlier run staged and lists the DLQ heads it has not read', async () => {
    // Prepare: a dead run staged order A's two events; order B's event is still in the DLQ.
    deadLetter(ORDER_A, 2);
    deadLetter(ORDER_A, 1);
    await redrive({ queue: 'fulfillment', max: 1, orderId: ORDER_B }); // stages everything, sends nothing of A
    deadLetter(ORDER_B, 1);
    const before = whereabouts();
    aws.sqs.resetHistory();

    // Act
    const outcome = await redrive({ queue: 'fulfillment', dryRun: true });

    // Assess
    expect(outcome).toMatchObject({
      report: {
        dryRun: true,
        moved: [
          { messageId: 'A1', seq: 1, redriveCount: 1 },
          { messageId: 'A2', seq: 2, redriveCount: 1 },
        ],
        unreadHeads: [{ messageId: 'B1', groupId: ORDER_B, seq: 1 }],
      },
    });
    expect(aws.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(whereabouts()).toEqual(before);
    expect(aws.items('LOCK#')).toEqual([]);
  });

  it('sends back at most max messages, in seq order, and keeps the rest staged for the next run', async () => {
    // Prepare
    deadLetter(ORDER_A, 2);
    deadLetter(ORDER_A, 1);
    deadLetter(ORDER_B, 1);

    // Act
    const outcome = await redrive({ queue: 'fulfillment', max: 2 });

    // Assess
    expect(outcome).toMatchObject({
      report: { moved: [{ messageId: 'A1' }, { messageId: 'A2' }], waiting: 1 },
    });
    expect(whereabouts()).toEqual({ source: ['A1', 'A2'], dlq: [], staged: ['B1'], parked: [] });
  });

  it('sends back only the order named, and keeps the others staged', async () => {
    // Prepare
    deadLetter(ORDER_A, 1);
    deadLetter(ORDER_B, 1);
    deadLetter(ORDER_B, 2);

    // Act
    const outcome = await redrive({ queue: 'fulfillment', orderId: ORDER_B });

    // Assess
    expect(outcome).toMatchObject({
      report: { moved: [{ messageId: 'B1' }, { messageId: 'B2' }], waiting: 1 },
    });
    expect(whereabouts()).toEqual({ source: ['B1', 'B2'], dlq: [], staged: ['A1'], parked: [] });
    const sent = aws.sqs.commandCalls(SendMessageCommand).map(({ args }) => args[0].input);
    expect(sent.map((input) => [input.MessageGroupId, input.MessageDeduplicationId])).toEqual([
      [ORDER_B, 'B1:redrive:1'],
      [ORDER_B, 'B2:redrive:1'],
    ]);
  });

  it('parks a message redriven as often as allowed, with the reason, and holds what follows it in its group', async () => {
    // Prepare: A1 came back to the DLQ after its third redrive; B is healthy.
    deadLetter(ORDER_A, 1, 3);
    deadLetter(ORDER_A, 2, 0);
    deadLetter(ORDER_B, 1, 0);

    // Act
    const outcome = await redrive({ queue: 'fulfillment' });

    // Assess
    expect(outcome).toMatchObject({
      report: {
        moved: [{ messageId: 'B1' }],
        parked: [{ messageId: 'A1', groupId: ORDER_A, reason: 'redriven 3 times (limit 3)' }],
        waiting: 1,
      },
    });
    expect(whereabouts()).toEqual({ source: ['B1'], dlq: [], staged: ['A2'], parked: ['A1'] });
    expect(aws.items('PARKED#fulfillment')[0]).toMatchObject({ reason: 'redriven 3 times (limit 3)' });
  });

  it('parks sooner when the limit is lowered', async () => {
    // Prepare
    deadLetter(ORDER_A, 1, 1);

    // Act
    const outcome = await redrive({ queue: 'fulfillment', parkAfter: 1 });

    // Assess
    expect(outcome).toMatchObject({
      report: { moved: [], parked: [{ reason: 'redriven 1 times (limit 1)' }] },
    });
    expect(whereabouts()).toEqual({ source: [], dlq: [], staged: [], parked: ['A1'] });
  });

  it('puts a parked message back with --unpark: it goes first, counted afresh, and its order follows', async () => {
    // Prepare: A1 was parked after its third redrive; A2 waits behind it.
    deadLetter(ORDER_A, 1, 3);
    deadLetter(ORDER_A, 2, 0);
    await redrive({ queue: 'fulfillment' });

    // Act: the fix shipped.
    const outcome = await redrive({ queue: 'fulfillment', unpark: ['A1', 'Z9'] });

    // Assess
    expect(outcome).toMatchObject({
      report: {
        unparked: [{ messageId: 'A1', groupId: ORDER_A, seq: 1 }],
        notParked: ['Z9'],
        moved: [
          { messageId: 'A1', redriveCount: 1 },
          { messageId: 'A2', redriveCount: 1 },
        ],
      },
    });
    expect(whereabouts()).toEqual({ source: ['A1', 'A2'], dlq: [], staged: [], parked: [] });
  });

  it('refuses to unpark in a dry run, and touches nothing', async () => {
    // Prepare
    deadLetter(ORDER_A, 1, 3);
    await redrive({ queue: 'fulfillment' });
    const before = whereabouts();

    // Act
    const outcome = await redrive({ queue: 'fulfillment', dryRun: true, unpark: ['A1'] });

    // Assess
    expect(outcome).toEqual({ refused: expect.stringMatching(/unpark.*(dry run|--dry-run)/) });
    expect(whereabouts()).toEqual(before);
  });

  it('refuses to run while another redrive of the queue holds the lock, and touches no message', async () => {
    // Prepare
    deadLetter(ORDER_A, 1);
    const lock = { pk: 'LOCK#fulfillment', sk: 'LOCK', owner: 'another-run', expiresAt: Date.now() + 60_000 };
    aws.table.set('LOCK#fulfillment|LOCK', lock);
    aws.sqs.resetHistory();

    // Act
    const outcome = await redrive({ queue: 'fulfillment' });

    // Assess
    expect(outcome).toEqual({
      refused: expect.stringContaining('A redrive of fulfillment is already running'),
    });
    expect(aws.sqs.calls()).toHaveLength(0);
    expect(aws.items('LOCK#')).toEqual([lock]);
    expect(whereabouts()).toEqual({ source: [], dlq: ['A1'], staged: [], parked: [] });
  });

  it('takes over a lock whose holder died (expired), and releases it when done', async () => {
    // Prepare
    deadLetter(ORDER_A, 1);
    aws.table.set('LOCK#fulfillment|LOCK', {
      pk: 'LOCK#fulfillment',
      sk: 'LOCK',
      owner: 'a-dead-run',
      expiresAt: Date.now() - 1,
    });

    // Act
    const outcome = await redrive({ queue: 'fulfillment' });

    // Assess
    expect(outcome).toMatchObject({ report: { moved: [{ messageId: 'A1' }] } });
    expect(aws.items('LOCK#')).toEqual([]);
    expect(whereabouts()).toEqual({ source: ['A1'], dlq: [], staged: [], parked: [] });
  });
});

describe('events/redrive-dlq.json', () => {
  it('is a dry run request the Lambda accepts, and it moves nothing', async () => {
    // Prepare
    const request = JSON.parse(
      await readFile(new URL('../../../events/redrive-dlq.json', import.meta.url), 'utf8'),
    );
    deadLetter(ORDER_A, 1);

    // Act
    const outcome = await viaLambda(request);

    // Assess
    expect(outcome).toMatchObject({
      report: { dryRun: true, moved: [], unreadHeads: [{ messageId: 'A1' }] },
    });
    expect(whereabouts()).toEqual({ source: [], dlq: ['A1'], staged: [], parked: [] });
  });
});

describe('npm run redrive on a wrong command line', () => {
  it.each([
    [[], '--queue must be one of fulfillment, review'],
    [['--queue', 'billing'], '--queue must be one of fulfillment, review (got "billing")'],
    [['--queue', 'fulfillment', '--max', '0'], '--max must be a whole number ≥ 1 (got "0")'],
    [['--queue', 'fulfillment', '--park-after', 'x'], '--park-after must be a whole number ≥ 1 (got "x")'],
    [['--queue', 'fulfillment', '--bogus'], "Unknown option '--bogus'"],
  ])('%j exits 2 with the usage line and connects to nothing', async (args, message) => {
    // Prepare
    const err: string[] = [];
    const connect = vi.fn();

    // Act
    const code = await redriveCommand(args, connect, { out: () => {}, err: (text) => err.push(text) });

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.at(-1)).toMatch(/^usage: npm run redrive -- --queue fulfillment\|review/);
    expect(connect).not.toHaveBeenCalled();
  });
});
