import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../local/commands/command.js';
import { legacyCommand, parseLegacyArguments } from '../../../local/commands/legacy-command.js';
import { PROJECT_ROOT } from '../../../local/package-stack.js';
import {
  RABBITMQ_INSTALL_HINT,
  type RunningBroker,
  rabbitmqInstalled,
  startLocalBroker,
} from '../../../local/rabbitmq.js';
import { applyBrokerDefinitions, readBrokerDefinitions } from '../../../shared/adapters/broker-topology.js';
import { legacyRejectionsOn } from '../../../shared/adapters/legacy-rejections.js';
import { waitFor } from '../../support/wait-for.js';

/** What a command printed, line by line. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) }, out, err };
}

describe('npm run legacy, its command line', () => {
  it.each([
    [[], 'say what to do: send, listen or rejected'],
    [['send'], 'send takes one file'],
    [['send', 'a.json', 'b.json'], 'send takes one file'],
    [['send', 'a.json', '--times', '0'], '--times must be a whole number ≥ 1'],
    [['listen', '--count', 'x'], '--count must be a whole number ≥ 1'],
    [['listen', 'extra'], 'unexpected extra'],
    [['purge'], 'unknown command purge'],
    [['listen', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j with a usage error and exit 2, before connecting', async (argv, message) => {
    // Prepare
    const { io, err } = capture();
    let connected = false;

    // Act
    const brokerUrl = async () => {
      connected = true;
      return 'amqp://x';
    };
    const code = await legacyCommand(argv, { brokerUrl }, io);

    // Assess
    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain('usage: npm run legacy -- send <file.json>');
    expect(connected).toBe(false);
  });

  it('reads send, listen and rejected with their options', () => {
    expect(parseLegacyArguments(['send', 'o.json', '--times', '3', '--message-id', 'm-1'])).toEqual({
      command: 'send',
      file: 'o.json',
      times: 3,
      messageId: 'm-1',
    });
    expect(parseLegacyArguments(['listen', '--account', 'ACME', '--count', '2'])).toEqual({
      command: 'listen',
      account: 'ACME',
      count: 2,
    });
    expect(parseLegacyArguments(['rejected'])).toEqual({ command: 'rejected' });
  });

  it('says to start the local cloud when no broker answers, with exit 1', async () => {
    // Prepare
    const { io, err } = capture();

    // Act
    const code = await legacyCommand(['rejected'], { brokerUrl: async () => 'amqp://127.0.0.1:1' }, io);

    // Assess
    expect(code).toBe(EXIT.failed);
    expect(err.join('\n')).toContain('Is the local cloud running with its broker');
  });
});

const installed = rabbitmqInstalled();

describe.runIf(!installed && process.env.CI !== undefined)('npm run legacy on CI', () => {
  it('needs rabbitmq-server, which .ci/run installs', () => {
    throw new Error(`${RABBITMQ_INSTALL_HINT}; .ci/run installs it when it runs as root`);
  });
});

describe.runIf(installed)('npm run legacy, against a real broker', () => {
  let dir: string;
  let broker: RunningBroker;
  let connection: ChannelModel;
  let channel: ConfirmChannel;
  const dependencies = () => ({ brokerUrl: async () => broker.url });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'orderflow-legacy-command-'));
    broker = await startLocalBroker({ dir: join(dir, 'broker') });
    connection = await connect(broker.url);
    channel = await connection.createConfirmChannel();
    const definitions = JSON.parse(readFileSync(join(PROJECT_ROOT, 'broker', 'definitions.json'), 'utf8'));
    await applyBrokerDefinitions(channel, readBrokerDefinitions(definitions));
  }, 60_000);

  afterAll(async () => {
    await connection?.close();
    await broker?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const drain = async (queue: string) => {
    const messages = [];
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) return messages;
      messages.push(message);
    }
  };

  it('sends each ERP message of a file, named <account>:<erpOrderNo>, as often as told, confirmed', async () => {
    // Prepare
    const file = join(dir, 'orders.json');
    const sample = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'broker', 'samples', 'erp-order.json'), 'utf8'),
    );
    await writeFile(file, JSON.stringify([sample, { ...sample, erpOrderNo: 'PO-2' }]));
    const { io, out } = capture();

    // Act
    const code = await legacyCommand(['send', file, '--times', '2'], dependencies(), io);

    // Assess
    const sent = await drain('legacy.orders');
    expect(code).toBe(EXIT.ok);
    expect(sent.map((message) => message.properties.messageId)).toEqual([
      `${sample.account}:${sample.erpOrderNo}`,
      `${sample.account}:PO-2`,
      `${sample.account}:${sample.erpOrderNo}`,
      `${sample.account}:PO-2`,
    ]);
    expect(sent.every((message) => message.properties.deliveryMode === 2)).toBe(true);
    expect(JSON.parse(sent[0]?.content.toString('utf8') ?? '')).toEqual(sample);
    expect(out.at(-1)).toBe('the broker confirmed 4 message(s)');
  });

  it('sends a file that is not JSON as it is, without a messageId', async () => {
    // Prepare
    const file = join(dir, 'not-json.txt');
    await writeFile(file, '<order/>');
    const { io } = capture();

    // Act
    const code = await legacyCommand(['send', file], dependencies(), io);

    // Assess
    const [message] = await drain('legacy.orders');
    expect(code).toBe(EXIT.ok);
    expect(message?.content.toString('utf8')).toBe('<order/>');
    expect(message?.properties.messageId).toBeUndefined();
  });

  it('hears the statuses of one account, drops a repeat by messageId, and stops after --count', async () => {
    // Prepare
    const { io, out } = capture();
    const listening = legacyCommand(['listen', '--account', 'ACME', '--count', '2'], dependencies(), io);
    await waitFor(() => out.some((line) => line.startsWith('listening on orderflow.status for erp.ACME')), {
      description: 'the listener bound',
    });
    const status = (seq: number, status: string, account = 'ACME') =>
      channel.publish(
        'orderflow.status',
        `erp.${account}`,
        Buffer.from(JSON.stringify({ erpOrderNo: 'PO-1', orderId: 'o-1', status, seq, occurredAt: 'now' })),
        { messageId: `o-1:${seq}` },
      );

    // Act
    status(1, 'PLACED');
    status(1, 'PLACED');
    status(9, 'PLACED', 'OTHER');
    status(2, 'PAID');
    await channel.waitForConfirms();
    const code = await listening;

    // Assess
    expect(code).toBe(EXIT.ok);
    const heard = out.filter((line) => line.startsWith('erp.'));
    expect(heard.map((line) => line.split(/\s+/).slice(0, 3))).toEqual([
      ['erp.ACME', 'PO-1', 'PLACED'],
      ['erp.ACME', 'PO-1', 'PAID'],
    ]);
    expect(out).toContain('  (repeat of o-1:1 dropped)');
  });

  it('shows what legacy.orders.rejected holds and why, and leaves it there', async () => {
    // Prepare
    await legacyRejectionsOn(channel).reject({
      body: '{"x":1}',
      messageId: 'm-bad',
      reason: 'not an ERP order',
    });
    const { io, out } = capture();

    // Act
    const code = await legacyCommand(['rejected'], dependencies(), io);
    const second = capture();
    await legacyCommand(['rejected'], dependencies(), second.io);

    // Assess
    expect(code).toBe(EXIT.ok);
    expect(out).toContain('m-bad: not an ERP order');
    expect(out.at(-1)).toBe('1 message(s) in legacy.orders.rejected');
    expect(second.out.at(-1)).toBe('1 message(s) in legacy.orders.rejected');
  });
});
