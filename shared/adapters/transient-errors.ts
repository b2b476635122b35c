/** Error names AWS services use for throttling and for failures on their side: worth a retry later. */
const TRANSIENT_ERROR_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'KMSThrottlingException',
  'InternalServerError',
  'InternalFailure',
  'InternalErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Node's network error codes: the endpoint is down or unreachable. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Whether an AWS SDK (or network) error is throttling, a timeout or a service-side failure. */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as SdkErrorShape;
  if (typeof candidate.name === 'string' && TRANSIENT_ERROR_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && NETWORK_ERROR_CODES.has(candidate.code)) return true;
  if (candidate.$retryable !== undefined && candidate.$retryable !== null) return true;
  const status = candidate.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}
