/**
 * The legacy broker's topology — exchanges, queues and bindings — in RabbitMQ's definitions format, as
 * `broker/definitions.json` holds it, and how it is read from JSON or from a CloudFormation custom resource.
 */

export interface ExchangeDefinition {
  name: string;
  vhost: string;
  type: 'direct' | 'topic' | 'fanout' | 'headers';
  durable: boolean;
  auto_delete: boolean;
  internal: boolean;
  arguments: Record<string, unknown>;
}

export interface QueueDefinition {
  name: string;
  vhost: string;
  durable: boolean;
  auto_delete: boolean;
  arguments: Record<string, unknown>;
}

export interface BindingDefinition {
  source: string;
  vhost: string;
  destination: string;
  destination_type: 'queue' | 'exchange';
  routing_key: string;
  arguments: Record<string, unknown>;
}

export interface BrokerDefinitions {
  exchanges: ExchangeDefinition[];
  queues: QueueDefinition[];
  bindings: BindingDefinition[];
}

/** The broker definitions are not in RabbitMQ's definitions format: says where, so the file can be fixed. */
export class BrokerDefinitionsError extends Error {
  constructor(path: string, problem: string) {
    super(`Broker definitions ${path}: ${problem} (broker/definitions.json, RabbitMQ's definitions format)`);
    this.name = 'BrokerDefinitionsError';
  }
}

const EXCHANGE_TYPES = ['direct', 'topic', 'fanout', 'headers'] as const;

/**
 * Reads broker definitions as JSON holds them, or as CloudFormation hands a custom resource its properties (every
 * scalar a string): `"true"` / `"false"` become booleans again, and an argument written in digits (`x-delivery-limit`,
 * `x-message-ttl`…) a number, as RabbitMQ requires. Anything else out of shape is a `BrokerDefinitionsError`.
 */
export function readBrokerDefinitions(value: unknown): BrokerDefinitions {
  const root = recordAt(value, '');
  return {
    exchanges: listAt(root.exchanges, 'exchanges').map((item, index) => {
      const path = `exchanges[${index}]`;
      const exchange = recordAt(item, path);
      const type = textAt(exchange.type, `${path}.type`);
      if (!(EXCHANGE_TYPES as readonly string[]).includes(type)) {
        throw new BrokerDefinitionsError(
          `${path}.type`,
          `expected one of ${EXCHANGE_TYPES.join(', ')}, got ${type}`,
        );
      }
      return {
        name: textAt(exchange.name, `${path}.name`),
        vhost: textAt(exchange.vhost ?? '/', `${path}.vhost`),
        type: type as ExchangeDefinition['type'],
        durable: flagAt(exchange.durable ?? true, `${path}.durable`),
        auto_delete: flagAt(exchange.auto_delete ?? false, `${path}.auto_delete`),
        internal: flagAt(exchange.internal ?? false, `${path}.internal`),
        arguments: argumentsAt(exchange.arguments, `${path}.arguments`),
      };
    }),
    queues: listAt(root.queues, 'queues').map((item, index) => {
      const path = `queues[${index}]`;
      const queue = recordAt(item, path);
      return {
        name: textAt(queue.name, `${path}.name`),
        vhost: textAt(queue.vhost ?? '/', `${path}.vhost`),
        durable: flagAt(queue.durable ?? true, `${path}.durable`),
        auto_delete: flagAt(queue.auto_delete ?? false, `${path}.auto_delete`),
        arguments: argumentsAt(queue.arguments, `${path}.arguments`),
      };
    }),
    bindings: listAt(root.bindings, 'bindings').map((item, index) => {
      const path = `bindings[${index}]`;
      const binding = recordAt(item, path);
      const destinationType = textAt(binding.destination_type, `${path}.destination_type`);
      if (destinationType !== 'queue' && destinationType !== 'exchange') {
        throw new BrokerDefinitionsError(
          `${path}.destination_type`,
          `expected queue or exchange, got ${destinationType}`,
        );
      }
      return {
        source: textAt(binding.source, `${path}.source`),
        vhost: textAt(binding.vhost ?? '/', `${path}.vhost`),
        destination: textAt(binding.destination, `${path}.destination`),
        destination_type: destinationType,
        routing_key: textAt(binding.routing_key ?? '', `${path}.routing_key`),
        arguments: argumentsAt(binding.arguments, `${path}.arguments`),
      };
    }),
  };
}

function recordAt(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BrokerDefinitionsError(path || '(root)', 'expected an object');
  }
  return value as Record<string, unknown>;
}

function listAt(value: unknown, path: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new BrokerDefinitionsError(path, 'expected a list');
  return value;
}

function textAt(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new BrokerDefinitionsError(path, 'expected a string');
  return value;
}

function flagAt(value: unknown, path: string): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new BrokerDefinitionsError(path, `expected true or false, got ${JSON.stringify(value)}`);
}

/** Arguments: digits become numbers, "true"/"false" booleans; other values are kept as they are. */
function argumentsAt(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  return Object.fromEntries(
    Object.entries(recordAt(value, path)).map(([name, argument]) => {
      if (typeof argument !== 'string') return [name, argument];
      if (/^-?\d+$/.test(argument)) return [name, Number(argument)];
      if (argument === 'true' || argument === 'false') return [name, argument === 'true'];
      return [name, argument];
    }),
  );
}
