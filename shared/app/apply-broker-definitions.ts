import { type BrokerDefinitions, readBrokerDefinitions } from '../core/broker-definitions.js';
import type { CustomResourceOutcome, Log } from '../core/ports.js';

export interface BrokerDefinitionsPorts {
  /** Declares the definitions on the legacy broker (idempotent: declaring again changes nothing). */
  declare(definitions: BrokerDefinitions): Promise<void>;
  /** Answers CloudFormation, which waits for it. */
  respond(outcome: CustomResourceOutcome): Promise<void>;
  log: Pick<Log, 'info' | 'error'>;
}

/** A custom resource request: what CloudFormation is doing, and the resource's `Definitions` property. */
export interface BrokerDefinitionsRequest {
  requestType: 'Create' | 'Update' | 'Delete';
  definitions: unknown;
}

/** One physical resource per stack: the definitions live on the broker, which has a single set. */
export const BROKER_DEFINITIONS_RESOURCE_ID = 'legacy-broker-definitions';

/**
 * `applyBrokerDefinitions` (the `Custom::BrokerDefinitions` resource): on create and update, declares the
 * definitions (broker/definitions.json, which serverless.yml puts in the resource) on the legacy broker; on delete,
 * leaves the broker as it is (its queues may hold messages; deleting the stack deletes the broker). Always answers
 * CloudFormation, with the reason when it failed: an unanswered request holds the stack for an hour.
 */
export async function applyBrokerDefinitions(
  ports: BrokerDefinitionsPorts,
  request: BrokerDefinitionsRequest,
): Promise<void> {
  const physicalResourceId = BROKER_DEFINITIONS_RESOURCE_ID;
  try {
    if (request.requestType !== 'Delete') {
      const definitions = readBrokerDefinitions(request.definitions);
      await ports.declare(definitions);
      ports.log.info('Broker definitions applied', {
        exchanges: definitions.exchanges.length,
        queues: definitions.queues.length,
        bindings: definitions.bindings.length,
      });
    }
  } catch (error) {
    ports.log.error('Broker definitions not applied', { error });
    const reason = error instanceof Error ? error.message : String(error);
    await ports.respond({ status: 'FAILED', physicalResourceId, reason });
    return;
  }
  await ports.respond({ status: 'SUCCESS', physicalResourceId });
}
