/**
 * Step 5, warehouse scans: a fulfilled order is scanned as shipped, then as delivered, on `warehouse/w1/scans`.
 * PASS means SHIPPED and then DELIVERED heard on the order's status topic, and the order DELIVERED when read back.
 */
import type { StepContext } from '../step-context.js';

export async function warehouseScans(context: StepContext): Promise<void> {
  const { run } = context;
  const customer = `demo-${run}-scan`;
  const done = context.step(
    'warehouse scans',
    'fulfil an order, then publish a shipped and a delivered scan to warehouse/w1/scans',
    'SHIPPED then DELIVERED heard on its status topic',
  );
  const { orderId } = await context.placePayAndHear(customer, 'FULFILLED');
  const scan = (kind: string, extra: Record<string, string> = {}) =>
    context.mqtt.publishAsync(
      'warehouse/w1/scans',
      JSON.stringify({
        scanId: `demo-${run}-${kind}`,
        orderId,
        kind,
        ...extra,
        at: new Date().toISOString(),
      }),
      { qos: 1 },
    );
  await scan('shipped', { carrier: 'DHL', trackingNo: `T${run}` });
  const shipped = await context.waitForStatus(orderId, 'SHIPPED');
  await scan('delivered');
  const delivered = await context.waitForStatus(orderId, 'DELIVERED');
  const final = await context.statusOf(customer, orderId);
  done(
    `order ${orderId}: SHIPPED ${shipped ? 'heard' : 'not heard'}, DELIVERED ${delivered ? 'heard' : 'not heard'}, final ${final}`,
    shipped && delivered && final === 'DELIVERED',
  );
}
