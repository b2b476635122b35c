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
 * stopped local cloud is obvious, and saying whether the call may have taken effect); any other error is returned
 * unchanged.
 */
export function asDependencyError(service: Service, error: unknown, orderId?: string): unknown {
  if (!isTransientAwsError(error)) return error;
  const endpoint = configuredEndpoint(service);
  const name = endpoint === undefined ? DISPLAY_NAMES[service] : `${DISPLAY_NAMES[service]} at ${endpoint}`;
  return new DependencyUnavailableError(name, {
    cause: error,
    mayHaveHappened: !wasRefused(error),
    ...(orderId === undefined ? {} : { orderId }),
  });
}

/** The service answered, and its answer was no: a client fault (throttling is one), a 4xx. Nothing happened. */
function wasRefused(error: unknown): boolean {
  const { $fault, $metadata } = error as { $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = $metadata?.httpStatusCode;
  return $fault === 'client' || (typeof status === 'number' && status >= 400 && status < 500);
}
