/**
 * Step 6, a poison message and its redrive: a bad release of processOrder fails every event of one customer, whose
 * order's events go to the fulfillment DLQ; the fix ships and `npm run redrive` moves them back. PASS means the
 * order was placed and paid, its two events reached the DLQ with no PLACED heard before the fix, were redriven in
 * order (seq 1, 2), FULFILLED was heard, and none of them is left in or parked by the DLQ.
 */
import { runRedrive } from '../../../shared/app/redrive-dlq.js';
import { localRedrivePorts } from '../../commands/local-redrive-ports.js';
import type { LocalTarget } from '../../commands/local-target.js';
import { FAULT_SWITCH, FulfillmentFault } from '../fulfillment-fault.js';
import { brokeObservation, type Observation, onStatusTopic, type StepContext } from '../step-context.js';

/** How long the step waits for its events to reach the DLQ (5 receives each, a few seconds apart). */
const POISON_DLQ_WAIT_MS = 60_000;
/** The visibility timeout the step gives fulfillment.fifo, so that 5 receives take seconds, not minutes. */
const POISON_VISIBILITY_TIMEOUT_SECONDS = 2;

export async function poisonRedrive(context: StepContext): Promise<void> {
  const customer = `cust-demo-poison-${context.run}`;
  const done = context.step(
    'poison message and redrive',
    `a bad release of processOrder fails every event of ${customer}; place and pay an order of ${customer}, ship the fix, then npm run redrive -- --queue fulfillment --order <its id>`,
    'its events in the fulfillment DLQ after 5 receives, redriven in order after the fix, FULFILLED heard, none left in the DLQ',
  );
  const target = await context.cloud.target();
  try {
    const { observed, pass } = await poisonStep(context, target, customer).catch(brokeObservation);
    done(observed, pass);
  } finally {
    target.close();
  }
}

/** The step told against any local cloud through its AWS APIs, the cloud put back as it was found afterwards. */
async function poisonStep(context: StepContext, target: LocalTarget, customer: string): Promise<Observation> {
  const fault = await FulfillmentFault.of(target, context.io);
  if (fault === undefined) {
    return { observed: 'the stack has no processOrder, or no fulfillment queue and DLQ', pass: false };
  }
  return fault.whileChanged(async () => {
    const poisoned = await poisonOrder(context, fault, customer);
    if (poisoned.inDlq === undefined) {
      return {
        observed: `order ${poisoned.orderId}: its events did not reach the DLQ within ${poisoned.dlqWaitMs / 1000} s`,
        pass: false,
      };
    }
    return fixAndRedrive(context, target, fault, { ...poisoned, inDlq: poisoned.inDlq, customer });
  });
}

/** The bad release, then an order of `customer` whose events processOrder fails until they reach the DLQ. */
async function poisonOrder(context: StepContext, fault: FulfillmentFault, customer: string) {
  const { io } = context;
  const { functionName, queueName, dlqName, originalVisibility, maxReceiveCount } = fault.stack;
  io.out(
    `  ${queueName} hides a failed message for ${originalVisibility} s (its visibility timeout) and moves it to the DLQ after ${maxReceiveCount} receives: ` +
      `${maxReceiveCount} × ${originalVisibility} s. For this step it is lowered to ${POISON_VISIBILITY_TIMEOUT_SECONDS} s (SQS SetQueueAttributes), and put back afterwards.`,
  );
  await fault.lowerVisibility(POISON_VISIBILITY_TIMEOUT_SECONDS);
  io.out(
    `  the bad release: ${functionName} gets ${FAULT_SWITCH}=${customer} (Lambda UpdateFunctionConfiguration; read at cold start)`,
  );
  await fault.releaseBad(customer);
  const dlqBefore = await fault.dlqDepth();
  const { orderId, placed, paid } = await context.placeAndPay(customer);
  io.out(
    `  order ${orderId}: placed ${placed}, paid ${paid}; processOrder fails its OrderPlaced and OrderPaid`,
  );
  const dlqWaitMs = Math.max(context.timeoutMs, POISON_DLQ_WAIT_MS);
  const inDlq = await context.waitFor(
    `its 2 events in ${dlqName} (${maxReceiveCount} receives each, ${POISON_VISIBILITY_TIMEOUT_SECONDS} s apart)`,
    async () => {
      const added = (await fault.dlqDepth()) - dlqBefore;
      return added >= 2 ? added : undefined;
    },
    dlqWaitMs,
  );
  return { orderId, placed, paid, inDlq, dlqWaitMs };
}

/** The fix ships, the order's events are redriven, and the order is FULFILLED with nothing of it left in the DLQ. */
async function fixAndRedrive(
  context: StepContext,
  target: LocalTarget,
  fault: FulfillmentFault,
  poisoned: { customer: string; orderId: string; placed: number; paid: number; inDlq: number },
): Promise<Observation> {
  const { io, run } = context;
  const { customer, orderId, placed, paid, inDlq } = poisoned;
  const heardBeforeFix = context.heardStatus(orderId, 'PLACED');
  io.out(`  the fix ships: ${fault.stack.functionName} gets its configuration back, without ${FAULT_SWITCH}`);
  await fault.shipFix();
  io.out(`  npm run redrive -- --queue fulfillment --order ${orderId}`);
  const report = await redriveOrder(target, { orderId, owner: `npm-run-demo-${run}` });
  const redriven = report.moved.filter((message) => message.groupId === orderId);
  io.out(`  redriven: ${redriven.map((message) => `seq ${message.seq}`).join(', ') || 'nothing'}`);
  const fulfilled = await context.waitForStatus(
    orderId,
    'FULFILLED',
    onStatusTopic('FULFILLED', customer, orderId),
  );
  const check = await redriveOrder(target, { orderId, dryRun: true, owner: `npm-run-demo-${run}-check` });
  const left =
    check.moved.filter((message) => message.groupId === orderId).length +
    check.unreadHeads.filter((message) => message.groupId === orderId).length;
  const inOrder = redriven.map((message) => message.seq).join(',') === '1,2';
  return {
    observed: `order ${orderId}: ${inDlq} events in the DLQ, ${redriven.length} redriven${inOrder ? ' in order' : ''}, ${fulfilled ? 'FULFILLED' : 'not FULFILLED'}, ${left} left in the DLQ`,
    pass:
      placed === 201 &&
      paid === 202 &&
      !heardBeforeFix &&
      inOrder &&
      fulfilled &&
      left === 0 &&
      report.parked.every((message) => message.groupId !== orderId),
  };
}

/** `npm run redrive -- --queue fulfillment --order <orderId>` (`--dry-run` with `dryRun`). */
function redriveOrder(target: LocalTarget, options: { orderId: string; owner: string; dryRun?: true }) {
  return runRedrive(localRedrivePorts(target.functions, target.clients)('fulfillment'), {
    queue: 'fulfillment',
    ...options,
  });
}
