import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { createIotDataClient } from './clients.js';
import { asDependencyError } from './dependency-error.js';
import { configuredEndpoint } from './endpoints.js';

/**
 * The IoT data-plane client, built once per container. Its endpoint is the account's own: from configuration
 * (`AWS_ENDPOINT_URL_IOT_DATA_PLANE` — the local cloud, LocalStack, or a deploy that sets it) or else asked once from
 * `DescribeEndpoint` (`iot:Data-ATS`). The SDK's default host is not an account endpoint, so it is never used.
 */
export function createIotDataClientProvider({
  iot = new IoTClient({}),
  endpoint = configuredEndpoint('IOT_DATA_PLANE'),
}: {
  iot?: IoTClient;
  endpoint?: string | undefined;
} = {}): () => Promise<IoTDataPlaneClient> {
  let client: Promise<IoTDataPlaneClient> | undefined;
  const build = async (): Promise<IoTDataPlaneClient> => {
    if (endpoint !== undefined) return createIotDataClient(endpoint);
    try {
      const { endpointAddress } = await iot.send(
        new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }),
      );
      if (endpointAddress === undefined) throw new Error('DescribeEndpoint returned no endpointAddress');
      return createIotDataClient(`https://${endpointAddress}`);
    } catch (error) {
      throw asDependencyError('IOT_DATA_PLANE', error);
    }
  };
  return () => {
    client ??= build().catch((error: unknown) => {
      client = undefined; // ask again on the next call
      throw error;
    });
    return client;
  };
}
