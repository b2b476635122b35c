import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { applyBrokerDefinitions, readBrokerDefinitions } from '../shared/adapters/broker-topology.js';
import {
  RABBITMQ_INSTALL_HINT,
  type RunningBroker,
  rabbitmqInstalled,
  startLocalBroker,
} from './rabbitmq.js';
import type { LocalBroker, ProvisionedStack } from './template/model.js';

/** Why the stack's broker is not running: the caller chose so, or RabbitMQ is not installed. */
export type BrokerAbsence = 'not-requested' | 'not-installed';

export type StackBrokers =
  | { running: true; brokers: ReadonlyMap<string, RunningBroker>; stop(): Promise<void> }
  | { running: false; absence: BrokerAbsence; stop(): Promise<void> };

/**
 * Runs the stack's RabbitMQ brokers (`AWS::AmazonMQ::Broker`: orderflow has one, the ERP bridge's) as real RabbitMQ
 * servers with the template's user, on the port `AmqpEndpoints` names, and declares on each the definitions of the
 * `Custom::BrokerDefinitions` resources that depend on it — the same definitions, read by the same code, that the
 * deployed stack's custom resource declares. Without RabbitMQ installed nothing starts, and one line says how to
 * add it: everything but the bridge runs.
 */
export async function startStackBrokers(
  stack: Pick<ProvisionedStack, 'brokers' | 'brokerDefinitions'>,
  { start, log }: { start: boolean; log: (line: string) => void },
): Promise<StackBrokers> {
  const nothing = async () => {};
  if (stack.brokers.length === 0 || !start) {
    return { running: false, absence: 'not-requested', stop: nothing };
  }
  if (!rabbitmqInstalled()) {
    log(`local cloud: ${RABBITMQ_INSTALL_HINT}`);
    return { running: false, absence: 'not-installed', stop: nothing };
  }
  const root = await mkdtemp(join(tmpdir(), 'orderflow-broker-'));
  const running = new Map<string, RunningBroker>();
  const stop = async () => {
    for (const broker of running.values()) await broker.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const broker of stack.brokers) {
      running.set(broker.logicalId, await startBroker(broker, join(root, broker.logicalId)));
    }
    for (const { brokerLogicalId, definitions, logicalId } of stack.brokerDefinitions) {
      const broker = running.get(brokerLogicalId);
      if (broker === undefined) continue;
      await declare(broker.url, definitions);
      log(`local cloud: ${logicalId} declared on ${brokerLogicalId} (amqp://127.0.0.1:${broker.port})`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { running: true, brokers: running, stop };
}

function startBroker(broker: LocalBroker, dir: string): Promise<RunningBroker> {
  return startLocalBroker({ dir, port: broker.port, user: broker.username, password: broker.password });
}

async function declare(url: string, definitions: unknown): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await applyBrokerDefinitions(channel, readBrokerDefinitions(definitions));
  } finally {
    await connection.close();
  }
}
