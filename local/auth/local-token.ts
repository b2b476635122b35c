import { SignJWT } from 'jose';
import { type LocalSigningKey, SIGNING_ALGORITHM } from './signing-key.js';

/** What a token of the local cloud says: who (`sub`, the customer), for whom (issuer, audience), what it may do. */
export interface TokenClaims {
  sub: string;
  issuer: string;
  audience: string;
  /** Granted scopes, e.g. `orders/admin`; written as the space-separated `scope` claim, as OAuth 2.0 does. */
  scopes?: readonly string[];
  /** Default one hour. */
  expiresInSeconds?: number;
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/** A signed JWT (RS256) that the local cloud's authorizer accepts until it expires. */
export function signLocalToken(key: LocalSigningKey, claims: TokenClaims): Promise<string> {
  const { sub, issuer, audience, scopes = [], expiresInSeconds = DEFAULT_TOKEN_LIFETIME_SECONDS } = claims;
  return new SignJWT(scopes.length > 0 ? { scope: scopes.join(' ') } : {})
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${expiresInSeconds}s`)
    .sign(key.privateKey);
}
