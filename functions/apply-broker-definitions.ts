import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { applyBrokerDefinitions as declareOn } from '../shared/adapters/broker-topology.js';
import { sendCustomResourceResponse } from '../shared/adapters/custom-resource-response.js';
import { legacyBrokerChannel } from '../shared/adapters/legacy-broker.js';
import { applyBrokerDefinitions } from '../shared/app/apply-broker-definitions.js';
import { logger, traceHandler } from '../shared/observability.js';
import { readConfig } from '../shared/wiring/config.js';

const config = readConfig(['LEGACY_BROKER_ENDPOINT', 'LEGACY_BROKER_SECRET_ID']);
const channel = legacyBrokerChannel({
  endpoint: config.LEGACY_BROKER_ENDPOINT,
  secretId: config.LEGACY_BROKER_SECRET_ID,
});

/** The `Custom::BrokerDefinitions` resource: broker/definitions.json declared on the legacy broker at deploy time. */
export const handler = middy(
  async (event: CloudFormationCustomResourceEvent): Promise<void> =>
    applyBrokerDefinitions(
      {
        declare: async (definitions) => declareOn(await channel(), definitions),
        respond: (outcome) => sendCustomResourceResponse(event, outcome),
        log: logger,
      },
      { requestType: event.RequestType, definitions: event.ResourceProperties.Definitions },
    ),
)
  .use(traceHandler())
  .use(injectLambdaContext(logger, { resetKeys: true }));
