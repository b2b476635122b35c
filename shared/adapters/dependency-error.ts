import { DependencyUnavailableError } from '../core/errors.js';
import { configuredEndpoint } from './endpoints.js';
import { isTransientAwsError } from './transient-errors.js';

type Service = Parameters<typeof configuredEndpoint>[0];

const DISPLAY_NAMES: Record<Service, string> = {
  DYNAMODB: 'DynamoDB',
  SNS: 'SNS',
  SQS: 'SQS',
  KINESIS: 'Kinesis',
  IOT_DATA_PLANE: 'IoT data plane',
  LAMBDA: 'Lambda',
};

/**
 * Turns a transient SDK failure into `DependencyUnavailableError` (naming the endpoint that was tried, so a
 * stopped local cloud is obvious); any other error is returned unchanged.
 */
export function asDependencyError(service: Service, error: unknown, orderId?: string): unknown {
  if (!isTransientAwsError(error)) return error;
  const endpoint = configuredEndpoint(service);
  const name = endpoint === undefined ? DISPLAY_NAMES[service] : `${DISPLAY_NAMES[service]} at ${endpoint}`;
  return new DependencyUnavailableError(name, {
    cause: error,
    ...(orderId === undefined ? {} : { orderId }),
  });
}
