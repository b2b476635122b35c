import fc from 'fast-check';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signLocalToken } from '../../../local/auth/local-token.js';
import { generateSigningKey, type LocalSigningKey } from '../../../local/auth/signing-key.js';
import { JWKS_PATH } from '../../../local/http-api/http-api-server.js';
import { authorizeRequest } from '../../../local/http-api/jwt-authorizer.js';
import type { RouteAuthorizer } from '../../../local/template/model.js';
import { route, send, startApi, stopApi } from '../../support/http-api-harness.js';

const ISSUER = 'https://auth.orderflow.localhost/';
const AUDIENCE = 'orderflow-api';

const authorizer = (scopes: string[] = []): RouteAuthorizer => ({
  name: 'customerJwt',
  issuer: ISSUER,
  audience: [AUDIENCE],
  identitySource: ['$request.header.Authorization'],
  scopes,
});

let trusted: LocalSigningKey;
let stranger: LocalSigningKey;
const jwks = () => ({ keys: [trusted.publicJwk] });

beforeAll(async () => {
  [trusted, stranger] = await Promise.all([generateSigningKey(), generateSigningKey()]);
});

const validToken = (sub = 'cust_42', scopes: string[] = []) =>
  signLocalToken(trusted, { sub, issuer: ISSUER, audience: AUDIENCE, scopes });

/** A token with the trusted key's id, signed by `key`, with exactly these claims. */
const craftedToken = (key: LocalSigningKey, claims: Record<string, unknown>, kid = trusted.kid) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key.privateKey);

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('the local JWT authorizer', () => {
  it('lets a token of the trusted key through, with or without the Bearer prefix, and hands its claims on as strings', async () => {
    // Prepare
    const token = await validToken('cust_42', ['orders/admin']);

    // Act
    const prefixed = await authorizeRequest(authorizer(), { authorization: `Bearer ${token}` }, jwks());
    const bare = await authorizeRequest(authorizer(), { authorization: token }, jwks());

    // Assess
    expect(prefixed).toEqual(bare);
    expect(prefixed).toEqual({
      allowed: true,
      jwt: {
        claims: expect.objectContaining({
          sub: 'cust_42',
          iss: ISSUER,
          aud: AUDIENCE,
          scope: 'orders/admin',
          exp: expect.stringMatching(/^\d+$/),
        }),
        scopes: null,
      },
    });
  });

  it.each([
    ['no Authorization header', {}, 'the token is missing'],
    ['an empty Bearer', { authorization: 'Bearer ' }, 'the token is missing'],
    ['a string that is no JWT', { authorization: 'Bearer not-a-jwt' }, 'the token is not a valid JWT'],
  ])('answers 401 to %s', async (_case, headers, description) => {
    // Act
    const decision = await authorizeRequest(authorizer(), headers, jwks());

    // Assess
    expect(decision).toEqual({
      allowed: false,
      statusCode: 401,
      wwwAuthenticate: `Bearer scope="" error="invalid_token" error_description="${description}"`,
    });
  });

  it.each([
    [
      'signed by another key under the trusted key id',
      () => craftedToken(stranger, { sub: 'cust_42', iss: ISSUER, aud: AUDIENCE, exp: inAnHour() }),
      'the token signature is invalid',
    ],
    [
      'signed by a key the set does not hold',
      () =>
        craftedToken(stranger, { sub: 'cust_42', iss: ISSUER, aud: AUDIENCE, exp: inAnHour() }, stranger.kid),
      'no key of the issuer matches the token',
    ],
    [
      'of another issuer',
      () =>
        craftedToken(trusted, {
          sub: 'cust_42',
          iss: 'https://evil.example/',
          aud: AUDIENCE,
          exp: inAnHour(),
        }),
      'the token does not have a valid issuer',
    ],
    [
      'for another audience',
      () => craftedToken(trusted, { sub: 'cust_42', iss: ISSUER, aud: 'another-api', exp: inAnHour() }),
      'the token does not have a valid audience',
    ],
    [
      'that has expired',
      () => craftedToken(trusted, { sub: 'cust_42', iss: ISSUER, aud: AUDIENCE, exp: inAnHour() - 7200 }),
      'the token has expired',
    ],
    [
      'that is not valid yet',
      () =>
        craftedToken(trusted, {
          sub: 'cust_42',
          iss: ISSUER,
          aud: AUDIENCE,
          exp: inAnHour(),
          nbf: inAnHour() - 60,
        }),
      'the token is not valid yet',
    ],
    [
      'signed with a shared secret (HS256) instead of RSA',
      () =>
        new SignJWT({ sub: 'cust_42', iss: ISSUER, aud: AUDIENCE, exp: inAnHour() })
          .setProtectedHeader({ alg: 'HS256', kid: trusted.kid })
          .sign(new TextEncoder().encode('a-secret-anyone-could-guess-0123456789')),
      'the token is not signed with an RSA algorithm',
    ],
    [
      'that is not signed at all (alg none)',
      async () =>
        new UnsecuredJWT({ sub: 'cust_42' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('1h')
          .encode(),
      'the token is not signed with an RSA algorithm',
    ],
  ])('answers 401 to a token %s, saying why', async (_case, makeToken, description) => {
    // Act
    const decision = await authorizeRequest(
      authorizer(),
      { authorization: `Bearer ${await makeToken()}` },
      jwks(),
    );

    // Assess
    expect(decision).toMatchObject({ allowed: false, statusCode: 401 });
    expect(decision.allowed === false && decision.wwwAuthenticate).toContain(
      `error_description="${description}"`,
    );
  });

  it('checks client_id against the audiences only when a token has no aud (a Cognito access token)', async () => {
    // Prepare
    const accessToken = await craftedToken(trusted, {
      sub: 'cust_42',
      iss: ISSUER,
      client_id: AUDIENCE,
      exp: inAnHour(),
    });
    const bothNamed = await craftedToken(trusted, {
      sub: 'cust_42',
      iss: ISSUER,
      aud: 'another-api',
      client_id: AUDIENCE,
      exp: inAnHour(),
    });

    // Act
    const accepted = await authorizeRequest(authorizer(), { authorization: `Bearer ${accessToken}` }, jwks());
    const refused = await authorizeRequest(authorizer(), { authorization: `Bearer ${bothNamed}` }, jwks());

    // Assess
    expect(accepted.allowed).toBe(true);
    expect(refused).toMatchObject({ allowed: false, statusCode: 401 });
  });

  it('answers 403 when the route lists scopes the token grants none of, and hands on the granted ones otherwise', async () => {
    // Prepare
    const customer = await validToken('cust_42');
    const admin = await validToken('ops', ['orders/read', 'orders/admin']);

    // Act
    const refused = await authorizeRequest(authorizer(['orders/admin']), { authorization: customer }, jwks());
    const allowed = await authorizeRequest(authorizer(['orders/admin']), { authorization: admin }, jwks());

    // Assess
    expect(refused).toEqual({
      allowed: false,
      statusCode: 403,
      wwwAuthenticate:
        'Bearer scope="orders/admin" error="insufficient_scope" error_description="expected scopes: [orders/admin]"',
    });
    expect(allowed).toMatchObject({ allowed: true, jwt: { scopes: ['orders/read', 'orders/admin'] } });
  });

  it('hands on the subject and scopes of any token it signed, unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}\/[a-z]{1,8}$/), { maxLength: 3 }),
        async (sub, scopes) => {
          const token = await validToken(sub, scopes);
          const decision = await authorizeRequest(authorizer(), { authorization: `Bearer ${token}` }, jwks());
          expect(decision.allowed && decision.jwt.claims.sub).toBe(sub);
          expect(decision.allowed && decision.jwt.claims.scope).toBe(
            scopes.length > 0 ? scopes.join(' ') : undefined,
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('startHttpApi: a route behind the JWT authorizer', () => {
  afterEach(stopApi);

  const protectedRoute = () => ({ ...route('GET /orders/{orderId}', 'getOrder'), authorizer: authorizer() });

  it('answers 401 {"message":"Unauthorized"} with the reason in www-authenticate, and invokes nothing', async () => {
    // Prepare
    const { api, invocations } = await startApi([protectedRoute()], undefined, jwks());
    const foreign = await signLocalToken(stranger, { sub: 'cust_42', issuer: ISSUER, audience: AUDIENCE });

    // Act
    const missing = await send(`${api.url}/orders/o-1`, {});
    const forged = await send(`${api.url}/orders/o-1`, { headers: { authorization: `Bearer ${foreign}` } });

    // Assess
    for (const response of [missing, forged]) {
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body.toString())).toEqual({ message: 'Unauthorized' });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer scope="" error="invalid_token"/);
      expect(response.headers['apigw-requestid']).toBeDefined();
    }
    expect(invocations).toEqual([]);
  });

  it('invokes the function with the verified claims in requestContext.authorizer.jwt', async () => {
    // Prepare
    const { api, invocations } = await startApi([protectedRoute()], undefined, jwks());
    const token = await validToken('cust_42');

    // Act
    const response = await send(`${api.url}/orders/o-1`, { headers: { authorization: `Bearer ${token}` } });

    // Assess
    expect(response.status).toBe(200);
    expect(invocations[0]?.event.requestContext).toMatchObject({
      authorizer: { jwt: { claims: { sub: 'cust_42', iss: ISSUER, aud: AUDIENCE }, scopes: null } },
    });
  });

  it('leaves a route without an authorizer open, with no authorizer in its event', async () => {
    // Prepare
    const { api, invocations } = await startApi([route('GET /health', 'health')], undefined, jwks());

    // Act
    const response = await send(`${api.url}/health`, {});

    // Assess
    expect(response.status).toBe(200);
    expect(invocations[0]?.event.requestContext).not.toHaveProperty('authorizer');
  });

  it(`serves the public keys at ${JWKS_PATH}, and no private part`, async () => {
    // Prepare
    const { api } = await startApi([protectedRoute()], undefined, jwks());

    // Act
    const response = await send(`${api.url}${JWKS_PATH}`, {});

    // Assess
    const served = JSON.parse(response.body.toString()) as { keys: Array<Record<string, unknown>> };
    expect(response.status).toBe(200);
    expect(served.keys).toEqual([expect.objectContaining({ kid: trusted.kid, kty: 'RSA', alg: 'RS256' })]);
    expect(served.keys[0]).not.toHaveProperty('d');
  });
});
