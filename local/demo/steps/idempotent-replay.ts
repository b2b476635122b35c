/**
 * Step 2, an idempotent replay: the same order is POSTed twice with one Idempotency-Key. PASS means both answers
 * carry the same orderId, the second says `Idempotent-Replayed: true`, and the pipeline's published counter rose
 * for the first POST and not for the second.
 */
import type { StepContext } from '../step-context.js';

export async function idempotentReplay(context: StepContext): Promise<void> {
  const customer = `demo-${context.run}-replay`;
  const key = `demo-${context.run}-key`;
  const done = context.step(
    'idempotent replay',
    `POST /orders twice with Idempotency-Key ${key}`,
    'the same orderId back, Idempotent-Replayed: true, published once',
  );
  const published = async () => (await context.pipeline()).counters.published;
  const before = await published();
  const first = await context.place(customer, 990, { 'idempotency-key': key });
  await context.waitFor('the first publish', async () => ((await published()) > before ? true : undefined));
  const afterFirst = await published();
  const second = await context.place(customer, 990, { 'idempotency-key': key });
  // No wait needed: a command publishes its event before it answers (write, publish, then clear the outbox), so
  // whatever the second POST published is counted once its answer is here.
  const afterSecond = await published();
  const same = first.body.orderId !== undefined && first.body.orderId === second.body.orderId;
  const replayed = second.headers.get('idempotent-replayed');
  done(
    `orderIds ${same ? 'equal' : 'differ'}, Idempotent-Replayed: ${replayed}, published +${afterFirst - before} then +${afterSecond - afterFirst}`,
    same && replayed === 'true' && afterSecond === afterFirst && afterFirst > before,
  );
}
