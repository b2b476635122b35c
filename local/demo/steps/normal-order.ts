/**
 * Step 1, a normal order: a customer places and pays an order, and the pipeline fulfils it. PASS means the order
 * was placed (201), the payment accepted (202), and FULFILLED heard on the order's MQTT status topic in time.
 */
import { onStatusTopic, type StepContext } from '../step-context.js';

export async function normalOrder(context: StepContext): Promise<void> {
  const customer = `demo-${context.run}-happy`;
  const done = context.step(
    'normal order',
    `place and pay an order of ${customer}`,
    'placed 201, paid 202, FULFILLED heard on its status topic',
  );
  const { orderId, placed, paid, heard } = await context.placePayAndHear(customer, 'FULFILLED', (id) =>
    onStatusTopic('FULFILLED', customer, id),
  );
  done(
    `order ${orderId}: placed ${placed}, paid ${paid}, FULFILLED ${heard ? 'heard' : 'not heard'}`,
    placed === 201 && paid === 202 && heard,
  );
}
