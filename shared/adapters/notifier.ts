import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import type { Notifier } from '../core/ports.js';
import { asDependencyError } from './dependency-error.js';
import { createIotDataClientProvider } from './iot-data-client.js';

/** IoT Core refuses a message over 128 KB. */
export const MAX_IOT_PAYLOAD_BYTES = 128 * 1024;

/** `Notifier` on the IoT Core data plane: JSON payloads, QoS 1, refused before sending when over 128 KB. */
export function createNotifier({
  client = createIotDataClientProvider(),
}: {
  client?: () => IoTDataPlaneClient;
} = {}): Notifier {
  return {
    async publish(topic, payload) {
      const bytes = Buffer.from(JSON.stringify(payload));
      if (bytes.length > MAX_IOT_PAYLOAD_BYTES) {
        throw new RangeError(
          `The payload for ${topic} is ${bytes.length} bytes; IoT Core takes ${MAX_IOT_PAYLOAD_BYTES}.`,
        );
      }
      try {
        await client().send(new PublishCommand({ topic, qos: 1, payload: bytes }));
      } catch (error) {
        throw asDependencyError('IOT_DATA_PLANE', error);
      }
    },
  };
}
