import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDynamoDbClient,
  createIotDataClient,
  createKinesisClient,
  createLambdaClient,
  createSnsClient,
  createSqsClient,
} from '../../shared/adapters/clients.js';
import { createDocumentClient } from '../../shared/adapters/document-client.js';

/** Each client the adapters build, and how its resolved credentials are asked for. */
const CLIENTS = [
  ['DynamoDB', () => createDynamoDbClient().config.credentials()],
  ['DynamoDB documents', () => createDocumentClient().config.credentials()],
  ['SNS', () => createSnsClient().config.credentials()],
  ['SQS', () => createSqsClient().config.credentials()],
  ['Kinesis', () => createKinesisClient().config.credentials()],
  ['Lambda', () => createLambdaClient().config.credentials()],
  [
    'IoT data plane',
    () => createIotDataClient('https://abc123-ats.iot.us-east-1.amazonaws.com').config.credentials(),
  ],
] as const;

const PROFILE = 'orderflow-profile';
let profileDir: string;

beforeAll(async () => {
  // A profile with keys in a shared credentials file: what the SDK's default chain would sign with.
  profileDir = await mkdtemp(join(tmpdir(), 'orderflow-profile-'));
  await writeFile(
    join(profileDir, 'credentials'),
    `[${PROFILE}]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n`,
  );
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await rm(profileDir, { recursive: true, force: true });
});

describe('the SDK clients (shared/adapters/clients.ts, document-client.ts)', () => {
  it.each(CLIENTS)(
    "%s signs with the environment's credentials, as Lambda gives them",
    async (_, credentials) => {
      // Prepare
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDENVIRONMENT');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'environment-secret');
      vi.stubEnv('AWS_SESSION_TOKEN', 'environment-session');

      // Act
      const resolved = await credentials();

      // Assess
      expect(resolved).toMatchObject({
        accessKeyId: 'AKIDENVIRONMENT',
        secretAccessKey: 'environment-secret',
        sessionToken: 'environment-session',
      });
    },
  );

  it.each(CLIENTS)(
    '%s never falls back to the default chain: a profile alone gives it no credentials',
    async (_, credentials) => {
      // Prepare
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'])
        vi.stubEnv(name, undefined);
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(profileDir, 'credentials'));
      vi.stubEnv('AWS_CONFIG_FILE', join(profileDir, 'no-config'));
      vi.stubEnv('AWS_PROFILE', PROFILE);

      // Act & Assess
      await expect(credentials()).rejects.toThrow('Unable to find environment variable credentials');
    },
  );
});
