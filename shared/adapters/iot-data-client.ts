import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { createIotDataClient } from './clients.js';
import { configuredEndpoint } from './endpoints.js';

/**
 * The IoT data-plane client, built once per container at the account's own data endpoint: the `iot:Data-ATS`
 * address, which the deploy gives every function as `AWS_ENDPOINT_URL_IOT_DATA_PLANE` (`--param iotDataEndpoint`;
 * the local cloud and LocalStack set it too). The SDK's default host is not an account endpoint, so without that
 * variable nothing is published: the publish fails, naming what is missing.
 */
export function createIotDataClientProvider({
  endpoint = configuredEndpoint('IOT_DATA_PLANE'),
}: {
  endpoint?: string | undefined;
} = {}): () => IoTDataPlaneClient {
  let client: IoTDataPlaneClient | undefined;
  return () => {
    if (endpoint === undefined) {
      throw new Error(
        "AWS_ENDPOINT_URL_IOT_DATA_PLANE is not set: publishing needs the account's IoT data endpoint " +
          '(iot:Data-ATS), which a deploy gives as --param="iotDataEndpoint=https://…"',
      );
    }
    client ??= createIotDataClient(endpoint);
    return client;
  };
}
