import { parseArgs } from 'node:util';
import { CUSTOMER_ID_PATTERN } from '../../shared/core/order-schema.js';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, signLocalToken } from '../auth/local-token.js';
import type { LocalSigningKey } from '../auth/signing-key.js';
import type { DeclaredJwtAuthorizer } from '../template/packaged-stack.js';
import { type CommandIo, positiveIntegerOption, runCommand, UsageError } from './command.js';

export const TOKEN_USAGE =
  'npm run -s token -- --sub <customerId> [--scope orders/admin]... [--expires-in SECONDS]';

/** A local token lives a day at most: long enough for a session of curl, short enough not to be kept around. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface TokenOptions {
  sub: string;
  scopes: string[];
  expiresInSeconds: number;
}

export function parseTokenArguments(argv: readonly string[]): TokenOptions {
  let values: { sub?: string; scope?: string[]; 'expires-in'?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        sub: { type: 'string' },
        scope: { type: 'string', multiple: true },
        'expires-in': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { sub } = values;
  if (sub === undefined) throw new UsageError('--sub is required: the customer the token speaks for');
  if (!CUSTOMER_ID_PATTERN.test(sub)) {
    throw new UsageError(
      `--sub must be a customer id, 1-64 of A-Z, a-z, 0-9, '_' and '-' (got ${JSON.stringify(sub)}): the API answers 403 to any other`,
    );
  }
  const scopes = values.scope ?? [];
  const badScope = scopes.find((scope) => !/^[\x21-\x7e]+$/.test(scope));
  if (badScope !== undefined) {
    throw new UsageError(
      `--scope takes one scope without spaces, e.g. orders/admin (got ${JSON.stringify(badScope)})`,
    );
  }
  const expiresInSeconds =
    positiveIntegerOption(values['expires-in'], 'expires-in') ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (expiresInSeconds > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new UsageError(`--expires-in is at most ${MAX_TOKEN_LIFETIME_SECONDS} seconds (a day)`);
  }
  return { sub, scopes, expiresInSeconds };
}

/** Where the command gets what a token must match: the template's authorizer, and the checkout's key. */
export interface TokenSources {
  authorizer(): Promise<DeclaredJwtAuthorizer>;
  signingKey(): Promise<LocalSigningKey>;
}

/**
 * `npm run -s token -- --sub cust_42 [--scope orders/admin]`: prints one line, a token the local cloud's HTTP API
 * accepts (the template's issuer and first audience, signed with the checkout's key), and nothing else on
 * standard output, so that `TOKEN=$(npm run -s token -- --sub cust_42)` works.
 */
export async function tokenCommand(
  argv: readonly string[],
  sources: TokenSources,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'token',
    TOKEN_USAGE,
    io,
    async () => {
      const { sub, scopes, expiresInSeconds } = parseTokenArguments(argv);
      const [{ issuer, audience }, key] = await Promise.all([sources.authorizer(), sources.signingKey()]);
      const [firstAudience] = audience;
      if (firstAudience === undefined)
        throw new Error('the JWT authorizer of the template names no audience');
      io.out(await signLocalToken(key, { sub, scopes, issuer, audience: firstAudience, expiresInSeconds }));
      return undefined;
    },
    () => undefined,
  );
}
