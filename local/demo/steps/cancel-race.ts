/**
 * Step 4, a cancel racing the fulfilment: an order is paid and cancelled at the same moment. Either may win; PASS
 * means the answers agree with the final state: the cancel accepted (2xx) and the order CANCELLED, or the cancel
 * refused, the payment accepted and the order FULFILLED.
 */
import type { StepContext } from '../step-context.js';

export async function cancelRace(context: StepContext): Promise<void> {
  const customer = `demo-${context.run}-race`;
  const done = context.step(
    'cancel racing fulfilment',
    'pay an order and cancel it at once',
    'the cancel answer matches the final state (2xx ⇔ CANCELLED, refused ⇔ FULFILLED)',
  );
  const placed = await context.place(customer, 700);
  const orderId = String(placed.body.orderId);
  const [paid, cancelled] = await Promise.all([
    context.pay(customer, orderId, placed.body.total),
    context.call('POST', customer, `/orders/${orderId}/cancel`, {}),
  ]);
  const final = await context.waitFor('a final state', async () => {
    const status = await context.statusOf(customer, orderId);
    return status === 'CANCELLED' || status === 'FULFILLED' ? status : undefined;
  });
  const accepted = (status: number) => status >= 200 && status < 300;
  const consistent =
    (accepted(cancelled.status) && final === 'CANCELLED') ||
    (!accepted(cancelled.status) && accepted(paid.status) && final === 'FULFILLED');
  done(
    `order ${orderId}: pay ${paid.status}, cancel ${cancelled.status}, final ${final ?? 'none'}`,
    consistent,
  );
}
