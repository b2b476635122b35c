import { describe, expect, inject, it } from 'vitest';
import { connectToLocalCloud } from '../../local/commands/local-target.js';

describe('connectToLocalCloud (what npm run redrive / npm run replay connect with)', () => {
  it("reads the names from the packaged local stage and points every client at npm start's fixed ports", async () => {
    // Act
    const target = await connectToLocalCloud(inject('packageDirs').local);

    // Assess
    try {
      const redriveDlq = target.functions.find((fn) => fn.name === 'orderflow-local-redriveDlq');
      expect(redriveDlq?.environment).toMatchObject({
        FULFILLMENT_DLQ_NAME: 'orderflow-local-fulfillment-dlq.fifo',
        PARKING_TABLE: 'orderflow-local-parking',
      });
      expect(target.queueNames).toContain('orderflow-local-activity-failures');
      const endpointOf = async (client: { config: { endpoint?: unknown } }) => {
        const provider = client.config.endpoint as (() => Promise<{ port?: number }>) | undefined;
        return (await provider?.())?.port;
      };
      expect({
        sqs: await endpointOf(target.clients.sqs),
        dynamodb: await endpointOf(target.clients.dynamodb),
        kinesis: await endpointOf(target.clients.kinesis),
        lambda: await endpointOf(target.clients.lambda),
      }).toEqual({ sqs: 4566, dynamodb: 4567, kinesis: 4568, lambda: 4570 });
    } finally {
      target.close();
    }
  });
});
