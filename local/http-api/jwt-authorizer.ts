import type { IncomingHttpHeaders } from 'node:http';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import type { RouteAuthorizer } from '../template/model.js';

/** What a JWT authorizer hands the integration: the token's claims (every value a string) and its scopes. */
export interface JwtAuthorizerContext {
  claims: Record<string, string>;
  /** The token's scopes when the route lists some; `null` when it lists none. */
  scopes: string[] | null;
}

export type AuthorizerDecision =
  | { allowed: true; jwt: JwtAuthorizerContext }
  | { allowed: false; statusCode: 401 | 403; wwwAuthenticate: string };

/** HTTP API's JWT authorizers verify RSA signatures only. */
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

/**
 * The check API Gateway's JWT authorizer makes before a route's function is invoked, against the keys of `jwks`
 * (locally, the local cloud's own key, where AWS fetches the issuer's `jwks_uri`):
 * - the token is taken from the identity source header, with or without a `Bearer ` prefix; none is a 401;
 * - its signature must verify with a key of the set (by `kid`), its `iss` must be the issuer, its `aud` (or
 *   `client_id` when there is no `aud`) one of the audiences, and `exp`, `nbf` and `iat` must hold: else a 401;
 * - when the route lists scopes, the token's `scope` (or `scp`) must grant one of them: else a 403.
 * The `www-authenticate` value says why, as API Gateway's does.
 */
export async function authorizeRequest(
  authorizer: RouteAuthorizer,
  headers: IncomingHttpHeaders,
  jwks: JSONWebKeySet,
  now: Date = new Date(),
): Promise<AuthorizerDecision> {
  const token = tokenOf(authorizer, headers);
  if (token === undefined) return unauthorized('the token is missing');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: authorizer.issuer,
      algorithms: ACCEPTED_ALGORITHMS,
      currentDate: now,
    }));
  } catch (error) {
    return unauthorized(describeRejection(error));
  }
  if (!hasValidAudience(payload, authorizer.audience)) {
    return unauthorized('the token does not have a valid audience');
  }
  const granted = scopesOf(payload);
  if (authorizer.scopes.length > 0 && !authorizer.scopes.some((scope) => granted.includes(scope))) {
    return {
      allowed: false,
      statusCode: 403,
      wwwAuthenticate: `Bearer scope="${authorizer.scopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${authorizer.scopes.join(' ')}]"`,
    };
  }
  return {
    allowed: true,
    jwt: { claims: stringClaims(payload), scopes: authorizer.scopes.length > 0 ? granted : null },
  };
}

function unauthorized(description: string): AuthorizerDecision {
  return {
    allowed: false,
    statusCode: 401,
    wwwAuthenticate: `Bearer scope="" error="invalid_token" error_description="${description}"`,
  };
}

/** The first identity source header (`$request.header.Authorization`) that is present, `Bearer ` prefix removed. */
function tokenOf(authorizer: RouteAuthorizer, headers: IncomingHttpHeaders): string | undefined {
  for (const source of authorizer.identitySource) {
    const name = /^\$request\.header\.(.+)$/.exec(source)?.[1]?.toLowerCase();
    const value = name === undefined ? undefined : headers[name];
    const text = (Array.isArray(value) ? value[0] : value)?.trim();
    if (text === undefined || text === '') continue;
    const token = text.replace(/^Bearer(\s+|$)/i, '').trim();
    if (token !== '') return token;
  }
  return undefined;
}

function describeRejection(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the token does not have a valid issuer';
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'iat') return 'the token was issued in the future';
    return `the token has an invalid ${error.claim} claim`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the issuer matches the token';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with an RSA algorithm';
  return 'the token is not a valid JWT';
}

/** `aud` must name one of the audiences; only when a token has no `aud` is its `client_id` checked instead. */
function hasValidAudience(payload: JWTPayload, audiences: readonly string[]): boolean {
  if (payload.aud !== undefined) {
    const named = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return named.some((audience) => audiences.includes(audience));
  }
  return typeof payload.client_id === 'string' && audiences.includes(payload.client_id);
}

function scopesOf(payload: JWTPayload): string[] {
  const claim = payload.scope ?? payload.scp;
  if (typeof claim === 'string') return claim.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/** API Gateway passes every claim as a string: numbers and booleans printed, arrays as `[a b]`, objects as JSON. */
function stringClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value)) claims[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object' && value !== null) claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}
