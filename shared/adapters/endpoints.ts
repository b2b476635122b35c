/**
 * The endpoint an SDK client of `service` is pointed at through `AWS_ENDPOINT_URL_<SERVICE>` (the local cloud,
 * LocalStack, or for the IoT data plane the account's own endpoint a deploy names), or `undefined` for the SDK's
 * default. Used to name the endpoint in errors; only the IoT data-plane client also refuses to publish without one.
 */
export function configuredEndpoint(
  service: 'DYNAMODB' | 'SNS' | 'SQS' | 'KINESIS' | 'IOT_DATA_PLANE' | 'LAMBDA',
): string | undefined {
  const value = process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL;
  return value === undefined || value === '' ? undefined : value;
}
