import { readFile } from 'node:fs/promises';
import { type Channel, type ChannelModel, type ConsumeMessage, connect, type GetMessage } from 'amqplib';
import { REJECTION_REASON_HEADER } from '../../shared/adapters/legacy-rejections.js';
import { LEGACY_STATUS_EXCHANGE } from '../../shared/core/legacy-status.js';
import {
  type CommandIo,
  parseCommandLine,
  positiveIntegerOption,
  runCommand,
  UsageError,
} from './command.js';

export const LEGACY_USAGE = [
  'npm run legacy -- send <file.json> [--message-id <id>] [--times N]',
  '       npm run legacy -- listen [--account <account>] [--count N]',
  '       npm run legacy -- rejected',
].join('\n');

/** The queue the ERP publishes its orders to, and where refused and dead-lettered ones end. */
const ORDERS_QUEUE = 'legacy.orders';
const REJECTED_QUEUE = 'legacy.orders.rejected';

export type LegacyArguments =
  | { command: 'send'; file: string; messageId?: string; times: number }
  | { command: 'listen'; account?: string; count?: number }
  | { command: 'rejected' };

export function parseLegacyArguments(argv: readonly string[]): LegacyArguments {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (command === 'send') {
    if (rest.length !== 1)
      throw new UsageError('send takes one file: the ERP message(s) to publish, as JSON');
    return {
      command,
      file: rest[0] as string,
      ...(values['message-id'] === undefined ? {} : { messageId: values['message-id'] }),
      times: positiveIntegerOption(values.times, 'times') ?? 1,
    };
  }
  if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(' ')}`);
  if (command === 'listen') {
    const count = positiveIntegerOption(values.count, 'count');
    return {
      command,
      ...(values.account === undefined ? {} : { account: values.account }),
      ...(count === undefined ? {} : { count }),
    };
  }
  if (command === 'rejected') return { command };
  throw new UsageError(
    command === undefined ? 'say what to do: send, listen or rejected' : `unknown command ${command}`,
  );
}

function parse(argv: readonly string[]) {
  return parseCommandLine(argv, {
    options: {
      'message-id': { type: 'string' },
      times: { type: 'string' },
      account: { type: 'string' },
      count: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
}

export interface LegacyDependencies {
  /** The broker's URL with its user: the running local cloud's unless told otherwise. */
  brokerUrl(): Promise<string>;
  /** Resolves when the person asks to stop (Ctrl-C): `listen` without `--count` runs until then. */
  stopped?: Promise<void>;
}

/**
 * `npm run legacy`: a stand-in ERP for the bridge. `send` publishes ERP messages to `legacy.orders` as an ERP does
 * (persistent, with a `messageId`, confirmed by the broker); `listen` hears the statuses orderflow sends back on
 * exchange `orderflow.status` (routing key `erp.<account>`), dropping repeats by `messageId` as an ERP should;
 * `rejected` shows what `legacy.orders.rejected` holds, and why, and leaves it there.
 */
export async function legacyCommand(
  argv: readonly string[],
  dependencies: LegacyDependencies,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'legacy',
    LEGACY_USAGE,
    io,
    async () => {
      const options = parseLegacyArguments(argv);
      const connection = await connect(await dependencies.brokerUrl());
      try {
        if (options.command === 'send') await send(connection, options, io);
        else if (options.command === 'listen') await listen(connection, options, dependencies, io);
        else await showRejected(connection, io);
      } finally {
        await connection.close().catch(() => undefined);
      }
      return undefined;
    },
    (error) =>
      error instanceof Error && /ECONNREFUSED|ACCESS_REFUSED/.test(error.message)
        ? 'Is the local cloud running with its broker (npm start, with rabbitmq-server installed)?'
        : undefined,
  );
}

async function send(
  connection: ChannelModel,
  options: Extract<LegacyArguments, { command: 'send' }>,
  io: CommandIo,
): Promise<void> {
  const text = await readFile(options.file, 'utf8');
  const messages = messagesOf(text);
  if (options.messageId !== undefined && messages.length > 1) {
    throw new UsageError('--message-id names one message; the file holds several (each gets its own id)');
  }
  const channel = await connection.createConfirmChannel();
  for (let copy = 0; copy < options.times; copy += 1) {
    for (const message of messages) {
      const messageId = options.messageId ?? defaultMessageId(message);
      channel.sendToQueue(ORDERS_QUEUE, Buffer.from(message.body, 'utf8'), {
        persistent: true,
        contentType: 'application/json',
        ...(messageId === undefined ? {} : { messageId }),
      });
      io.out(`sent to ${ORDERS_QUEUE}: ${describeMessage(message, messageId)}`);
    }
  }
  await channel.waitForConfirms();
  io.out(`the broker confirmed ${messages.length * options.times} message(s)`);
}

interface OutgoingMessage {
  body: string;
  parsed: unknown;
}

/** A JSON array is several messages; anything else (an object, or text that is not JSON at all) is one. */
function messagesOf(text: string): OutgoingMessage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [{ body: text, parsed: undefined }];
  }
  if (!Array.isArray(parsed)) return [{ body: JSON.stringify(parsed), parsed }];
  if (parsed.length === 0) throw new UsageError('the file holds an empty list: nothing to send');
  return parsed.map((item) => ({ body: JSON.stringify(item), parsed: item }));
}

/** An ERP names its message after its order: `<account>:<erpOrderNo>`, so that sending it again is a repeat. */
function defaultMessageId({ parsed }: OutgoingMessage): string | undefined {
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { account, erpOrderNo } = parsed as Record<string, unknown>;
  return typeof account === 'string' && typeof erpOrderNo === 'string'
    ? `${account}:${erpOrderNo}`
    : undefined;
}

function describeMessage({ parsed }: OutgoingMessage, messageId: string | undefined): string {
  const order = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const what = typeof order.erpOrderNo === 'string' ? `ERP order ${order.erpOrderNo}` : 'a message';
  return `${what}${messageId === undefined ? ' (no messageId)' : ` (messageId ${messageId})`}`;
}

async function listen(
  connection: ChannelModel,
  options: Extract<LegacyArguments, { command: 'listen' }>,
  dependencies: LegacyDependencies,
  io: CommandIo,
): Promise<void> {
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  const routingKey = options.account === undefined ? 'erp.#' : `erp.${options.account}`;
  await channel.bindQueue(queue, LEGACY_STATUS_EXCHANGE, routingKey);
  io.out(`listening on ${LEGACY_STATUS_EXCHANGE} for ${routingKey} (Ctrl-C stops)`);
  const seen = new Set<string>();
  let heard = 0;
  await new Promise<void>((resolve) => {
    dependencies.stopped?.then(resolve);
    void channel.consume(
      queue,
      (message: ConsumeMessage | null) => {
        if (message === null) return resolve();
        const messageId = message.properties.messageId as string | undefined;
        if (messageId !== undefined && seen.has(messageId)) {
          io.out(`  (repeat of ${messageId} dropped)`);
          return;
        }
        if (messageId !== undefined) seen.add(messageId);
        io.out(describeStatus(message));
        heard += 1;
        if (options.count !== undefined && heard >= options.count) resolve();
      },
      { noAck: true },
    );
  });
  await channel.close().catch(() => undefined);
}

function describeStatus(message: ConsumeMessage): string {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
  } catch {
    return `${message.fields.routingKey}  (not JSON) ${message.content.toString('utf8')}`;
  }
  const previous =
    body.previousStatus === undefined || body.previousStatus === null ? '' : ` (was ${body.previousStatus})`;
  return `${message.fields.routingKey}  ${body.erpOrderNo}  ${String(body.status).padEnd(9)}${previous}  order ${body.orderId} seq ${body.seq}  ${body.occurredAt}`;
}

async function showRejected(connection: ChannelModel, io: CommandIo): Promise<void> {
  const channel: Channel = await connection.createChannel();
  const taken: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(REJECTED_QUEUE, { noAck: false });
    if (message === false) break;
    taken.push(message);
    const headers = message.properties.headers ?? {};
    const reason =
      headers[REJECTION_REASON_HEADER] ?? deathReason(headers['x-death']) ?? 'no reason recorded';
    const messageId = message.properties.messageId as string | undefined;
    io.out(`${messageId ?? '(no messageId)'}: ${String(reason)}`);
    io.out(`  ${message.content.toString('utf8').slice(0, 200)}`);
  }
  // Shown, not taken: every message goes back to the queue.
  if (taken.length > 0) channel.nackAll(true);
  io.out(`${taken.length} message(s) in ${REJECTED_QUEUE}`);
  await channel.close().catch(() => undefined);
}

/** Why the broker dead-lettered a message (`x-death`), e.g. `delivery_limit` after too many failed deliveries. */
function deathReason(xDeath: unknown): string | undefined {
  if (!Array.isArray(xDeath) || xDeath.length === 0) return undefined;
  const death = xDeath[0] as { reason?: unknown; queue?: unknown; count?: unknown };
  return `dead-lettered by the broker from ${String(death.queue)}: ${String(death.reason)}${
    death.reason === 'delivery_limit' ? " (it failed every delivery: see the import function's log)" : ''
  }`;
}
