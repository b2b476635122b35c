/**
 * The broker's topology for the legacy ERP bridge — exchanges, queues (quorum, with their dead-letter exchange and
 * delivery limit) and bindings — as `broker/definitions.json` holds it, in RabbitMQ's definitions format. The same
 * file is applied over AMQP to the local broker and to Amazon MQ: declaring is idempotent, and needs no management
 * plugin (Amazon MQ's is not reachable from a private subnet without more network).
 */
import type { Channel } from 'amqplib';
import type { BrokerDefinitions } from '../core/broker-definitions.js';

export type { BrokerDefinitions } from '../core/broker-definitions.js';
export { readBrokerDefinitions } from '../core/broker-definitions.js';

/**
 * Declares every exchange, queue and binding of `definitions` on the channel's virtual host. A queue that exists with
 * other arguments makes the broker close the channel (`PRECONDITION_FAILED`): the error says which queue to delete.
 */
export async function applyBrokerDefinitions(
  channel: Channel,
  definitions: BrokerDefinitions,
): Promise<void> {
  for (const exchange of definitions.exchanges) {
    await channel.assertExchange(exchange.name, exchange.type, {
      durable: exchange.durable,
      autoDelete: exchange.auto_delete,
      internal: exchange.internal,
      arguments: exchange.arguments,
    });
  }
  for (const queue of definitions.queues) {
    try {
      await channel.assertQueue(queue.name, {
        durable: queue.durable,
        autoDelete: queue.auto_delete,
        arguments: queue.arguments,
      });
    } catch (error) {
      throw new Error(
        `The broker refused queue ${queue.name} as broker/definitions.json declares it; if it exists with other ` +
          `arguments, delete it (rabbitmqctl delete_queue ${queue.name}) and start again`,
        { cause: error },
      );
    }
  }
  for (const binding of definitions.bindings) {
    if (binding.destination_type === 'queue') {
      await channel.bindQueue(binding.destination, binding.source, binding.routing_key, binding.arguments);
    } else {
      await channel.bindExchange(binding.destination, binding.source, binding.routing_key, binding.arguments);
    }
  }
}
