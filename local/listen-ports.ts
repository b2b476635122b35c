/**
 * TCP ports: where each part of the local cloud listens, and how `npm start` and the commands that talk to it
 * agree on them. (Elsewhere in orderflow, "ports" are the core's interfaces.)
 */

/** Where each part of the local cloud listens. 0 asks for any free port (what the tests do). */
export interface LocalCloudPorts {
  http: number;
  mqtt: number;
  mqttWs: number;
  sqsSns: number;
  dynamodb: number;
  kinesis: number;
  iotData: number;
  /** The Lambda Invoke API of the functions the local cloud runs (what `npm run replay` calls). */
  lambda: number;
  /** Secrets Manager's `GetSecretValue` for the secrets of the stack (the legacy broker's user). */
  secretsManager: number;
  /** The legacy broker's AMQP listener (RabbitMQ), where the ERP publishes and listens (`npm run legacy`). */
  amqp: number;
}

/** Every port 0: a local cloud that never collides with a running `npm start` (tests, chaos runs, the bench). */
export const ANY_FREE_PORTS: LocalCloudPorts = {
  http: 0,
  mqtt: 0,
  mqttWs: 0,
  sqsSns: 0,
  dynamodb: 0,
  kinesis: 0,
  iotData: 0,
  lambda: 0,
  secretsManager: 0,
  amqp: 0,
};

/** The fixed ports of what a person talks to (README, "The local cloud"). */
export const DEFAULT_PUBLIC_PORTS = { http: 3000, mqtt: 1883, mqttWs: 8083, amqp: 5672 } as const;

/** The variable each emulator's endpoint is given to the functions in (and what the `local` stage sets). */
export const ENDPOINT_VARIABLES = {
  sqsSns: ['AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL_SQS'],
  dynamodb: ['AWS_ENDPOINT_URL_DYNAMODB'],
  kinesis: ['AWS_ENDPOINT_URL_KINESIS'],
  iotData: ['AWS_ENDPOINT_URL_IOT_DATA_PLANE'],
  secretsManager: ['AWS_ENDPOINT_URL_SECRETS_MANAGER'],
} as const satisfies Record<string, readonly string[]>;

/** Used for an emulator when no function of the stack names its endpoint yet. */
const FALLBACK_EMULATOR_PORTS = {
  sqsSns: 4566,
  dynamodb: 4567,
  kinesis: 4568,
  iotData: 4569,
  secretsManager: 4571,
} as const;

/** The local Lambda Invoke API: next to the emulators, as no function of the stack calls it. */
export const LAMBDA_API_PORT = 4570;

/**
 * The default ports: the emulators' from the endpoints serverless.yml gives the functions of the `local` stage
 * (so `serverless invoke local --stage local` reaches the same cloud, and no port is written twice), the public
 * fixed ones unless `ORDERFLOW_HTTP_PORT` / `ORDERFLOW_MQTT_PORT` / `ORDERFLOW_MQTT_WS_PORT` / `ORDERFLOW_AMQP_PORT` say
 * otherwise.
 */
export function defaultPorts(
  functions: ReadonlyArray<{ readonly environment: Readonly<Record<string, unknown>> }>,
  env: NodeJS.ProcessEnv = process.env,
): LocalCloudPorts {
  const portFromEndpoints = (service: keyof typeof ENDPOINT_VARIABLES): number => {
    for (const { environment: variables } of functions) {
      for (const name of ENDPOINT_VARIABLES[service]) {
        const value = variables[name];
        if (typeof value === 'string' && value !== '') return Number(new URL(value).port);
      }
    }
    return FALLBACK_EMULATOR_PORTS[service];
  };
  return {
    http: portFromEnv(env.ORDERFLOW_HTTP_PORT, DEFAULT_PUBLIC_PORTS.http, 'ORDERFLOW_HTTP_PORT'),
    mqtt: portFromEnv(env.ORDERFLOW_MQTT_PORT, DEFAULT_PUBLIC_PORTS.mqtt, 'ORDERFLOW_MQTT_PORT'),
    mqttWs: portFromEnv(env.ORDERFLOW_MQTT_WS_PORT, DEFAULT_PUBLIC_PORTS.mqttWs, 'ORDERFLOW_MQTT_WS_PORT'),
    sqsSns: portFromEndpoints('sqsSns'),
    dynamodb: portFromEndpoints('dynamodb'),
    kinesis: portFromEndpoints('kinesis'),
    iotData: portFromEndpoints('iotData'),
    lambda: LAMBDA_API_PORT,
    secretsManager: portFromEndpoints('secretsManager'),
    amqp: portFromEnv(env.ORDERFLOW_AMQP_PORT, DEFAULT_PUBLIC_PORTS.amqp, 'ORDERFLOW_AMQP_PORT'),
  };
}

function portFromEnv(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name}=${value} is not a port number (0-65535).`);
  }
  return port;
}
