import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { applyBrokerDefinitions, readBrokerDefinitions } from '../shared/adapters/broker-topology.js';
import { sendCustomResourceResponse } from '../shared/adapters/custom-resource-response.js';
import { legacyBrokerChannel } from '../shared/adapters/legacy-broker.js';
import { logger, traceHandler } from '../shared/observability.js';
import { readConfig } from '../shared/wiring/config.js';

const config = readConfig(['LEGACY_BROKER_ENDPOINT', 'LEGACY_BROKER_SECRET_ARN']);
const channel = legacyBrokerChannel({
  endpoint: config.LEGACY_BROKER_ENDPOINT,
  secretArn: config.LEGACY_BROKER_SECRET_ARN,
});

/** One physical resource per stack: the definitions live on the broker, which has a single set. */
const PHYSICAL_RESOURCE_ID = 'legacy-broker-definitions';

/**
 * The `Custom::BrokerDefinitions` resource: on create and update, declares its `Definitions` (broker/definitions.json,
 * which serverless.yml puts there) on the legacy broker; on delete, leaves the broker as it is (its queues may hold
 * messages; deleting the stack deletes the broker). Always answers CloudFormation, with the reason when it failed.
 */
export const handler = middy(async (event: CloudFormationCustomResourceEvent, _context: Context) => {
  try {
    if (event.RequestType !== 'Delete') {
      const definitions = readBrokerDefinitions(event.ResourceProperties.Definitions);
      await applyBrokerDefinitions(await channel(), definitions);
      logger.info('Broker definitions applied', {
        exchanges: definitions.exchanges.length,
        queues: definitions.queues.length,
        bindings: definitions.bindings.length,
      });
    }
    await sendCustomResourceResponse(event, { status: 'SUCCESS', physicalResourceId: PHYSICAL_RESOURCE_ID });
  } catch (error) {
    logger.error('Broker definitions not applied', { error: error as Error });
    const reason = error instanceof Error ? error.message : String(error);
    await sendCustomResourceResponse(event, {
      status: 'FAILED',
      physicalResourceId: PHYSICAL_RESOURCE_ID,
      reason,
    });
  }
})
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }));
