import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs';
import { createFaultDice } from '../../shared/faults/fault-dice.js';
import {
  type FaultPlan,
  FUNCTION_FAULTS_VARIABLE,
  functionFaultsOf,
  noFaults,
  writeFunctionFaults,
} from '../../shared/faults/fault-plan.js';
import { faultReporter, type ReportFault } from '../../shared/faults/fault-reports.js';
import { chooseDeliveryFate } from './delivery-fate.js';
import { createFaultyPollerSqsClient } from './poller-faults.js';
import { createSnsDeliveryFaults, type SnsDeliveryFaults } from './sns-delivery-faults.js';

/**
 * A chaos run's faults, as the local cloud applies them: what it gives its functions (`ORDERFLOW_CHAOS`), the SQS
 * client of its pollers, and fauxqs's SNS → SQS deliveries. Each injector draws from its own seeded stream; every
 * fault is reported on the fault channel (`shared/faults/fault-reports.ts`).
 */
export interface CloudFaults {
  /** The environment a function is given: its faults (crashes only for consumers). */
  functionEnvironment(options: { consumer: boolean }): Record<string, string>;
  /** The SQS client the pollers use instead of the cloud's own. */
  pollerSqsClient(config: SQSClientConfig): SQSClient;
  /** fauxqs's stores, with the delivery hook. */
  snsDelivery: SnsDeliveryFaults;
  /** The cloud's own faults off from now on (the functions' go with their environment). */
  turnOff(): void;
}

export async function createCloudFaults(
  plan: FaultPlan,
  { log, report = faultReporter() }: { log: (line: string) => void; report?: ReportFault },
): Promise<CloudFaults> {
  let current = plan;
  const deliveryDice = createFaultDice(plan.seed, 'sns-delivery');
  const snsDelivery = await createSnsDeliveryFaults({
    fateOf: () => chooseDeliveryFate(deliveryDice, current),
    report,
    log,
  });
  return {
    functionEnvironment: ({ consumer }) => ({
      [FUNCTION_FAULTS_VARIABLE]: writeFunctionFaults(functionFaultsOf(plan, { consumer })),
    }),
    pollerSqsClient: (config) =>
      createFaultyPollerSqsClient(config, {
        plan: () => current,
        dice: createFaultDice(plan.seed, 'sqs-pollers'),
        report,
        log,
      }),
    snsDelivery,
    turnOff: () => {
      current = noFaults(plan.seed);
    },
  };
}
