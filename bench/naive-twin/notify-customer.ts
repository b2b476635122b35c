import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { KinesisStreamEvent } from 'aws-lambda';

/** The activity stream to MQTT, naively: per record, a client and one publish. */
export const handler = async (event: KinesisStreamEvent): Promise<void> => {
  for (const record of event.Records) {
    const change = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    const iotData = new IoTDataPlaneClient({});
    await iotData.send(
      new PublishCommand({
        topic: `orders/${change.customerId}/${change.orderId}/status`,
        qos: 1,
        payload: Buffer.from(
          JSON.stringify({ orderId: change.orderId, status: change.status, seq: change.seq }),
        ),
      }),
    );
    console.log(JSON.stringify({ message: 'Status published', orderId: change.orderId }));
  }
};
