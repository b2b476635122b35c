/**
 * Step 3, a high-value review: an order of total 120000 is placed and sent to the operators for review. PASS means
 * it was placed (201) with a total of at least 100000, and a review of it heard on `ops/reviews` in time.
 */
import type { StepContext } from '../step-context.js';

export async function highValueReview(context: StepContext): Promise<void> {
  const customer = `demo-${context.run}-big`;
  const done = context.step(
    'high-value review',
    `place an order of total 120000 as ${customer}`,
    'placed 201, a review heard on ops/reviews',
  );
  const placed = await context.place(customer, 60_000);
  const orderId = String(placed.body.orderId);
  const review = await context.waitFor('the review on ops/reviews', async () =>
    context.heardMessage(({ topic, message }) => topic === 'ops/reviews' && message.orderId === orderId),
  );
  done(
    `placed ${placed.status} (total ${String(placed.body.total)}), review ${review ? 'heard' : 'not heard'}`,
    placed.status === 201 && review !== undefined && Number(placed.body.total) >= 100_000,
  );
}
