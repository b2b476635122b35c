/**
 * The endpoint an SDK client of `service` is pointed at through `AWS_ENDPOINT_URL_<SERVICE>` (the local cloud,
 * LocalStack), or `undefined` for AWS itself. Used to name the endpoint in errors, never to change behaviour.
 */
export function configuredEndpoint(
  service: 'DYNAMODB' | 'SNS' | 'SQS' | 'KINESIS' | 'IOT_DATA_PLANE' | 'LAMBDA',
): string | undefined {
  const value = process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL;
  return value === undefined || value === '' ? undefined : value;
}
