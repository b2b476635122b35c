import type { webcrypto } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { PROJECT_ROOT } from '../package-stack.js';

type CryptoKey = webcrypto.CryptoKey;

/**
 * The local cloud's own token signing key: an RSA key pair (API Gateway's JWT authorizers verify RS256), made once
 * per checkout and kept in `.local-cloud/` (git-ignored), so that `npm start`, `npm run token` and the load and
 * chaos runs agree on it. It signs tokens for the local cloud only: no deployed stage trusts it.
 */
export const SIGNING_KEY_FILE = join(PROJECT_ROOT, '.local-cloud', 'jwt-signing-key.json');

export const SIGNING_ALGORITHM = 'RS256';

export interface LocalSigningKey {
  /** The key id tokens name in their header (`kid`) and the JWKS lists. */
  kid: string;
  privateKey: CryptoKey;
  /** The public half, as the JWKS serves it. */
  publicJwk: JWK;
}

/** A new key pair, kept in memory only. */
export async function generateSigningKey(): Promise<LocalSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const kid = `orderflow-local-${randomUUID()}`;
  return {
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' },
  };
}

/**
 * The checkout's signing key: read from `file`, or made and written there (readable by its owner only) when there
 * is none. Two processes starting at once agree: the second finds the first's file and reads it.
 */
export async function loadOrCreateSigningKey(file = SIGNING_KEY_FILE): Promise<LocalSigningKey> {
  const existing = await readSigningKey(file);
  if (existing !== undefined) return existing;
  const key = await generateSigningKey();
  const privateJwk = { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: SIGNING_ALGORITHM };
  await mkdir(dirname(file), { recursive: true });
  // Written whole under a name of its own, then linked into place: a reader never sees half a key, and of two
  // processes linking at once the second gets EEXIST and reads the first's.
  const draft = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(draft, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600 });
  try {
    await link(draft, file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readSigningKey(file);
    if (written === undefined) throw new Error(`${file} is empty: delete it and a new key is made`);
    return written;
  } finally {
    await unlink(draft);
  }
}

async function readSigningKey(file: string): Promise<LocalSigningKey | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (text.trim() === '') return undefined;
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch (error) {
    throw new Error(`${file} is not a JSON Web Key: delete it and a new key is made`, { cause: error });
  }
  if (typeof jwk.kid !== 'string' || jwk.kty !== 'RSA' || jwk.d === undefined) {
    throw new Error(`${file} is not the local cloud's RSA private key: delete it and a new key is made`);
  }
  const privateKey = (await importJWK(jwk, SIGNING_ALGORITHM, { extractable: true })) as CryptoKey;
  const { n, e, kty, kid } = jwk;
  return { kid, privateKey, publicJwk: { kty, n, e, kid, alg: SIGNING_ALGORITHM, use: 'sig' } };
}
