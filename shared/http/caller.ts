import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Caller } from '../core/caller.js';
import { ForbiddenError } from '../core/errors.js';
import { CUSTOMER_ID_PATTERN } from '../core/order-schema.js';
import { UnauthenticatedError } from './errors.js';

/** What the HTTP API's JWT authorizer adds to a payload 2.0 event: the verified token's claims, and its scopes. */
interface JwtAuthorizerContext {
  jwt?: {
    claims?: Record<string, unknown>;
    scopes?: readonly string[] | null;
  };
}

/**
 * The caller of a request, from the claims the JWT authorizer verified: `sub` is the customer, the space-separated
 * `scope` claim (and the authorizer's `scopes`, where the route lists some) the scopes. No claims at all is a 401:
 * the route was reached without the authorizer. A `sub` that cannot be a customer id is a 403.
 */
export function readCaller(event: APIGatewayProxyEventV2): Caller {
  const authorizer = (event.requestContext as { authorizer?: JwtAuthorizerContext }).authorizer;
  const claims = authorizer?.jwt?.claims;
  if (claims === undefined) throw new UnauthenticatedError();
  const { sub, scope } = claims;
  if (typeof sub !== 'string' || !CUSTOMER_ID_PATTERN.test(sub)) {
    throw new ForbiddenError(
      "The token's subject is not a customer id (1-64 of A-Z, a-z, 0-9, '_' and '-'): it cannot own orders.",
    );
  }
  const scopes = new Set<string>(authorizer?.jwt?.scopes ?? []);
  if (typeof scope === 'string') for (const granted of scope.split(' ')) if (granted) scopes.add(granted);
  return { customerId: sub, scopes };
}
