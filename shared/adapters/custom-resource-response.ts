import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceOutcome } from '../core/ports.js';

/**
 * Answers CloudFormation at the event's pre-signed `ResponseURL` (an S3 PUT with no content type, as CloudFormation
 * expects). Until this is sent the stack operation waits, up to an hour: a handler sends it on every path.
 */
export async function sendCustomResourceResponse(
  event: CloudFormationCustomResourceEvent,
  outcome: CustomResourceOutcome,
  put: typeof fetch = fetch,
): Promise<void> {
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: outcome.status === 'FAILED' ? outcome.reason.slice(0, 1000) : undefined,
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await put(event.ResponseURL, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) {
    throw new Error(
      `CloudFormation's response URL answered ${response.status}: the stack operation will time out`,
    );
  }
}
