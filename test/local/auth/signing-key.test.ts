import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../../local/auth/signing-key.js';

const keyFileIn = async () => join(await mkdtemp(join(tmpdir(), 'orderflow-key-')), 'nested', 'key.json');

describe("the local cloud's signing key", () => {
  it('is made once, readable by its owner only, and read back the same by later runs', async () => {
    // Prepare
    const file = await keyFileIn();

    // Act
    const made = await loadOrCreateSigningKey(file);
    const again = await loadOrCreateSigningKey(file);

    // Assess
    expect(again.kid).toBe(made.kid);
    expect(again.publicJwk).toEqual(made.publicJwk);
    expect(made.publicJwk).not.toHaveProperty('d');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('is the same key for processes that start at once', async () => {
    // Prepare
    const file = await keyFileIn();

    // Act
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKey(file)));

    // Assess
    expect(new Set(keys.map(({ kid }) => kid)).size).toBe(1);
    expect(JSON.parse(await readFile(file, 'utf8')).kid).toBe(keys[0]?.kid);
  });

  it('says to delete a file that is not its key, rather than overwrite it', async () => {
    // Prepare
    const file = join(await mkdtemp(join(tmpdir(), 'orderflow-key-')), 'key.json');
    await writeFile(file, '{"kty":"EC"}');

    // Act
    const loading = loadOrCreateSigningKey(file);

    // Assess
    await expect(loading).rejects.toThrow(/is not the local cloud's RSA private key: delete it/);
  });
});
