import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { Notifier } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';

/** `Notifier` on the IoT Core data plane: JSON payloads, QoS 1. */
export function createNotifier({
  client = new IoTDataPlaneClient({}),
}: {
  client?: IoTDataPlaneClient;
} = {}): Notifier {
  return {
    async publish(topic, payload) {
      try {
        await client.send(
          new PublishCommand({ topic, qos: 1, payload: Buffer.from(JSON.stringify(payload)) }),
        );
      } catch (error) {
        throw asDependencyError('IOT_DATA_PLANE', error);
      }
    },
  };
}
