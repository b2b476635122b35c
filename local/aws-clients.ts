import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The emulators accept any signature; these never leave the machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalEndpoints {
  sqsSns: string;
  dynamodb: string;
  kinesis: string;
  iotData: string;
}

export interface LocalClients {
  sqs: SQSClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  kinesis: KinesisClient;
  iotData: IoTDataPlaneClient;
  destroy(): void;
}

/** SDK clients for the local cloud's own work (provisioning, pollers), pointed at the emulators. */
export function createLocalClients(endpoints: LocalEndpoints, region: string): LocalClients {
  const common = { region, credentials: LOCAL_CREDENTIALS, maxAttempts: 2 };
  const clients = {
    // Queue URLs name a *.localhost host: keep the configured endpoint.
    sqs: new SQSClient({ ...common, endpoint: endpoints.sqsSns, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient({ ...common, endpoint: endpoints.sqsSns }),
    dynamodb: new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb }),
    // kinesalite speaks HTTP/1.1 only; the Node Kinesis client defaults to HTTP/2.
    kinesis: new KinesisClient({
      ...common,
      endpoint: endpoints.kinesis,
      requestHandler: new NodeHttpHandler(),
    }),
    iotData: new IoTDataPlaneClient({ ...common, endpoint: endpoints.iotData }),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
