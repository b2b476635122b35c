import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type LocalSigningKey } from '../../../local/auth/signing-key.js';
import { type TokenSources, tokenCommand } from '../../../local/commands/token-command.js';
import { capturedIo } from '../../support/command-harness.js';

const AUTHORIZER = {
  logicalId: 'HttpApiAuthorizerCustomerJwt',
  name: 'customerJwt',
  issuer: 'https://auth.orderflow.localhost/',
  audience: ['orderflow-api', 'another-client'],
};

let key: LocalSigningKey;
let sources: TokenSources;

beforeAll(async () => {
  key = await generateSigningKey();
  sources = { authorizer: async () => AUTHORIZER, signingKey: async () => key };
});

/** Verifies a printed token as the local HTTP API does: the key's JWKS, the template's issuer and audience. */
async function verify(token: string) {
  const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), {
    issuer: AUTHORIZER.issuer,
    audience: 'orderflow-api',
  });
  return payload;
}

describe('npm run token', () => {
  it('prints exactly one line: a token for the customer, of the template’s issuer and audience, signed with the checkout’s key', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await tokenCommand(['--sub', 'cust_42'], sources, io);

    // Assess
    expect(code).toBe(0);
    expect(io.stderr).toEqual([]);
    expect(io.stdout).toHaveLength(1);
    const [token = ''] = io.stdout;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: key.kid });
    const claims = await verify(token);
    expect(claims).toMatchObject({ sub: 'cust_42' });
    expect(claims).not.toHaveProperty('scope');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('grants every --scope given, space-separated in the scope claim, for --expires-in seconds', async () => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await tokenCommand(
      ['--sub', 'ops', '--scope', 'orders/admin', '--scope', 'orders/read', '--expires-in', '120'],
      sources,
      io,
    );

    // Assess
    expect(code).toBe(0);
    const claims = await verify(io.stdout[0] ?? '');
    expect(claims.scope).toBe('orders/admin orders/read');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(120);
  });

  it.each([
    [[], '--sub is required'],
    [['--sub', 'cust/42'], '--sub must be a customer id'],
    [['--sub', 'cust_42', '--scope', 'orders admin'], '--scope takes one scope without spaces'],
    [['--sub', 'cust_42', '--expires-in', '0'], '--expires-in must be a whole number ≥ 1'],
    [['--sub', 'cust_42', '--expires-in', '86401'], '--expires-in is at most 86400 seconds'],
    [['--sub', 'cust_42', '--admin'], "Unknown option '--admin'"],
  ])('refuses %j with exit code 2, the reason and the usage, printing no token', async (argv, reason) => {
    // Prepare
    const io = capturedIo();

    // Act
    const code = await tokenCommand(argv, sources, io);

    // Assess
    expect(code).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr[0]).toContain(reason);
    expect(io.stderr[1]).toMatch(/^usage: npm run -s token -- --sub <customerId>/);
  });

  it('says why when the template has no JWT authorizer, with exit code 1 and nothing on stdout', async () => {
    // Prepare
    const io = capturedIo();
    const without: TokenSources = {
      authorizer: async () => {
        throw new Error(
          'The package in .local-cloud/package declares no JWT authorizer with a plain-string issuer',
        );
      },
      signingKey: async () => key,
    };

    // Act
    const code = await tokenCommand(['--sub', 'cust_42'], without, io);

    // Assess
    expect(code).toBe(1);
    expect(io.stdout).toEqual([]);
    expect(io.stderr[0]).toContain('declares no JWT authorizer');
  });
});
