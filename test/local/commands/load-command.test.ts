import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CANCEL_RATIO,
  loadCommand,
  parseLoadArguments,
  progressBar,
} from '../../../local/commands/load-command.js';
import type { LoadTarget } from '../../../local/load/target.js';
import { capturedIo } from '../../support/command-harness.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A target whose HTTP API and broker are at `port` (nothing else is reached before they answer). */
function targetAt(port: number): LoadTarget {
  return {
    httpUrl: `http://127.0.0.1:${port}`,
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    clients: {} as LoadTarget['clients'],
    activityStreamName: 'stream',
    analyticsTableName: 'table',
    deadLetterQueues: [],
    issueToken: async () => 'a-token-of-this-checkout',
    close: () => {},
  };
}

describe('npm run load: the command line', () => {
  it('takes the orders, the clients, the cancel ratio and the settle deadline', () => {
    // Act
    const options = parseLoadArguments([
      '--orders',
      '500',
      '--concurrency',
      '20',
      '--cancel-ratio',
      '0.25',
      '--settle-seconds',
      '30',
    ]);

    // Assess
    expect(options).toEqual({
      orders: 500,
      concurrency: 20,
      cancelRatio: 0.25,
      settleSeconds: 30,
      json: false,
    });
    expect(parseLoadArguments(['--orders', '1', '--concurrency', '1']).cancelRatio).toBe(
      DEFAULT_CANCEL_RATIO,
    );
  });

  it.each([
    [['--concurrency', '10'], '--orders'],
    [['--orders', '10'], '--concurrency'],
    [['--orders', '0', '--concurrency', '1'], '--orders must be a whole number'],
    [
      ['--orders', '10', '--concurrency', '2', '--cancel-ratio', '1.5'],
      '--cancel-ratio must be a number from 0 to 1',
    ],
    [['--orders', '10', '--concurrency', '2', '--cancel-ratio', 'lots'], '--cancel-ratio'],
    [['--orders', '10', '--concurrency', '2', '--frobnicate'], 'frobnicate'],
  ])('refuses %j with exit code 2 and the usage line, before connecting', async (argv, message) => {
    // Prepare
    const io = capturedIo();
    let connected = false;

    // Act
    const code = await loadCommand(
      argv,
      async () => {
        connected = true;
        throw new Error('must not connect');
      },
      io,
      { isTTY: false, write: () => {} },
    );

    // Assess
    expect(code).toBe(2);
    expect(connected).toBe(false);
    expect(io.stderr.join('\n')).toContain(message);
    expect(io.stderr.at(-1)).toMatch(/^usage: npm run load -- --orders N --concurrency C/);
  });

  it('says to start the local cloud when nothing listens, with exit code 1', async () => {
    // Prepare
    const port = await closedPort();
    const target = targetAt(port);
    const io = capturedIo();

    // Act
    const code = await loadCommand(['--orders', '1', '--concurrency', '1'], async () => target, io, {
      isTTY: false,
      write: () => {},
    });

    // Assess
    expect(code).toBe(1);
    expect(io.stderr[0]).toContain(`nothing answers at http://127.0.0.1:${port}`);
    expect(io.stderr[1]).toContain('Is the local cloud running (npm start)?');
    expect(io.stdout).toEqual([]);
  });

  it('says the local cloud trusts another signing key when it answers 401 to the run’s token', async () => {
    // Prepare
    const server = createHttpServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const target = targetAt(port);
    const io = capturedIo();

    // Act
    const code = await loadCommand(['--orders', '1', '--concurrency', '1'], async () => target, io, {
      isTTY: false,
      write: () => {},
    }).finally(() => server.close());

    // Assess
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toContain("refuses this checkout's tokens (401)");
    expect(io.stderr.join('\n')).toContain('restart `npm start`');
  });

  it('says to start the local cloud when the emulators refuse the connection', async () => {
    // Prepare
    const port = await closedPort();
    const sqs = new SQSClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const io = capturedIo();

    // Act
    const code = await loadCommand(
      ['--orders', '1', '--concurrency', '1'],
      async () => {
        await sqs.send(new ListQueuesCommand({}));
        throw new Error('unreachable');
      },
      io,
      { isTTY: false, write: () => {} },
    );
    sqs.destroy();

    // Assess
    expect(code).toBe(1);
    expect(io.stderr[1]).toContain('Is the local cloud running (npm start)?');
  });
});

describe('npm run load: the progress bar', () => {
  it('redraws one line with \\r on a terminal, and starts a new line for the next phase', () => {
    // Prepare
    const written: string[] = [];
    const bar = progressBar({ isTTY: true, write: (text) => written.push(text) });

    // Act
    bar.update({ phase: 'placing', placed: 1, done: 0, total: 2 });
    bar.update({ phase: 'placing', placed: 2, done: 2, total: 2 });
    bar.update({ phase: 'settling', settled: 2, total: 2 });
    bar.end();

    // Assess
    expect(written.join('')).toBe(
      `\rplacing  [${'#'.repeat(0)}${'.'.repeat(30)}] placed 1/2, paid 0/2` +
        `\rplacing  [${'#'.repeat(30)}] placed 2/2, paid 2/2\n` +
        `\rsettling [${'#'.repeat(30)}] settled 2/2\n`,
    );
  });

  it('writes whole lines, a few seconds apart, when standard error is not a terminal', () => {
    // Prepare
    const written: string[] = [];
    let clock = 0;
    const bar = progressBar({ isTTY: false, write: (text) => written.push(text) }, () => clock);

    // Act
    for (let done = 0; done <= 100; done += 1) {
      clock = done * 100;
      bar.update({ phase: 'placing', placed: done, done, total: 100 });
    }

    // Assess: the first, one every 5 s of the 10 s, and the last.
    expect(written.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
    expect(written.map((line) => line.match(/placed (\d+)/)?.[1])).toEqual(['0', '50', '100']);
  });
});
