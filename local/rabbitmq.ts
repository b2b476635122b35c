/**
 * A real RabbitMQ broker for the legacy ERP bridge: Debian's `rabbitmq-server`, run as a child of the local cloud
 * with a configuration of its own — every port moved and bound to 127.0.0.1 (AMQP, Erlang distribution, epmd), no
 * management plugin, its data under the given folder — and stopped with it, epmd included.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { HOST } from './net.js';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = '/usr/bin/epmd';

/** What to tell someone whose machine has no broker (the bridge is skipped; everything else runs). */
export const RABBITMQ_INSTALL_HINT =
  'RabbitMQ is not installed: the legacy ERP bridge needs it (sudo apt-get install -y --no-install-recommends rabbitmq-server)';

export function rabbitmqInstalled(): boolean {
  return existsSync(RABBITMQ_SERVER) && existsSync(EPMD);
}

export interface RunningBroker {
  /** `amqp://user:password@127.0.0.1:<port>` */
  url: string;
  port: number;
  user: string;
  password: string;
  /** Stops the broker, then its epmd (which would outlive it). */
  stop(): Promise<void>;
}

export interface LocalBrokerOptions {
  /** Where its data, logs and configuration go (wiped at start: the broker is as fresh as the rest). */
  dir: string;
  /** AMQP port (0: any free one). */
  port?: number;
  user?: string;
  password?: string;
  /** How long to wait for the broker to accept AMQP connections (default 60 s; it takes about 8). */
  startTimeoutMs?: number;
}

/**
 * Starts `rabbitmq-server` and resolves once it accepts an AMQP connection.
 *
 * @throws Error with the broker's last log lines when it does not start in time, and with the install hint when it
 *   is not installed.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<RunningBroker> {
  if (!rabbitmqInstalled()) throw new Error(RABBITMQ_INSTALL_HINT);
  const { dir, user = 'orderflow', password = 'orderflow-local', startTimeoutMs = 60_000 } = options;
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'mnesia'), { recursive: true });
  await mkdir(join(dir, 'log'), { recursive: true });
  const [port, distPort, epmdPort] = await Promise.all([
    options.port && options.port > 0 ? options.port : freePort(),
    freePort(),
    freePort(),
  ]);
  const configFile = join(dir, 'rabbitmq.conf');
  await writeFile(
    configFile,
    [
      `listeners.tcp.default = ${HOST}:${port}`,
      'loopback_users = none',
      'log.console = false',
      `log.file = ${join(dir, 'log', 'rabbit.log')}`,
      '',
    ].join('\n'),
  );
  // The user in Erlang terms, not rabbitmq.conf: a generated password may hold `#`, spaces or quotes.
  const advancedConfigFile = join(dir, 'advanced.config');
  await writeFile(
    advancedConfigFile,
    `[{rabbit, [{default_user, ${erlangBinary(user)}}, {default_pass, ${erlangBinary(password)}}]}].\n`,
  );
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_ADVANCED_CONFIG_FILE: advancedConfigFile,
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_NODENAME: `orderflow-${port}@localhost`,
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: HOST,
  };
  const server = spawn(RABBITMQ_SERVER, [], { env, detached: true, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  const stopEpmd = () =>
    promisify(execFile)(EPMD, ['-kill'], { env: { ...env, ERL_EPMD_PORT: String(epmdPort) } }).then(
      () => undefined,
      () => undefined,
    );
  const stop = async () => {
    await stopProcessGroup(server, exited);
    await stopEpmd();
  };
  const url = `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const early = await Promise.race([exited, delay(250).then(() => 'running' as const)]);
    if (early !== 'running') {
      await stopEpmd();
      throw new Error(`rabbitmq-server exited (code ${early}) while starting:\n${await logTail(dir)}`);
    }
    try {
      const connection = await connect(url);
      await connection.close();
      return { url, port, user, password, stop };
    } catch {
      if (Date.now() > deadline) {
        const tail = await logTail(dir);
        await stop();
        throw new Error(
          `rabbitmq-server did not accept AMQP on ${HOST}:${port} in ${startTimeoutMs} ms:\n${tail}`,
        );
      }
    }
  }
}

async function stopProcessGroup(server: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (server.exitCode !== null || server.pid === undefined) return;
  process.kill(-server.pid, 'SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
  if (!stopped) {
    process.kill(-server.pid, 'SIGKILL');
    await exited;
  }
}

/** `<<"text">>`: an Erlang binary, UTF-8, with `\` and `"` escaped. */
function erlangBinary(text: string): string {
  return `<<"${text.replace(/[\\"]/g, (character) => `\\${character}`)}"/utf8>>`;
}

/** A port no one listens on right now, on 127.0.0.1 (for a listener that must be named before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function logTail(dir: string): Promise<string> {
  try {
    return (await readFile(join(dir, 'log', 'rabbit.log'), 'utf8')).split('\n').slice(-20).join('\n');
  } catch {
    return '(no broker log)';
  }
}
