import { request } from 'node:http';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LocalSecret,
  type SecretsManagerShim,
  startSecretsManagerShim,
} from '../../../local/secrets/secrets-manager-shim.js';

const BROKER: LocalSecret = {
  arn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:orderflow-test-broker-user-AbC123',
  name: 'orderflow-test-broker-user',
  secretString: JSON.stringify({ username: 'bridge', password: 'p"a\\s:s{w}ö rd 🐇' }),
  versionId: '6e3b2a4c-1f0d-4a5e-9b7c-2d8e0f1a3b4c',
  createdDate: new Date('2026-12-03T09:00:00.250Z'),
};

let shim: SecretsManagerShim;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  shim = await startSecretsManagerShim({
    port: 0,
    lookup: (id) => (id === BROKER.name || id === BROKER.arn ? BROKER : undefined),
  });
  secrets = new SecretsManagerClient({
    region: 'eu-west-1',
    endpoint: shim.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  secrets.destroy();
  await shim.close();
});

/** A raw POST to the shim, for what the SDK never sends. */
function post(target: string | undefined, body: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${shim.url}/`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          ...(target !== undefined && { 'x-amz-target': target }),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the Secrets Manager shim', () => {
  it('answers GetSecretValue of the real SDK by name as AWS does', async () => {
    // Act
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: BROKER.name }));

    // Assess
    expect(answer).toMatchObject({
      ARN: BROKER.arn,
      Name: BROKER.name,
      SecretString: BROKER.secretString,
      VersionId: BROKER.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: BROKER.createdDate,
    });
  });

  it('finds the secret by its ARN and keeps its JSON values intact', async () => {
    // Act
    const answer = await secrets.send(new GetSecretValueCommand({ SecretId: BROKER.arn }));

    // Assess
    expect(JSON.parse(answer.SecretString ?? '')).toEqual({
      username: 'bridge',
      password: 'p"a\\s:s{w}ö rd 🐇',
    });
  });

  it('answers the AWSCURRENT stage and the version id of the one version', async () => {
    // Act
    const byStage = await secrets.send(
      new GetSecretValueCommand({ SecretId: BROKER.name, VersionStage: 'AWSCURRENT' }),
    );
    const byVersion = await secrets.send(
      new GetSecretValueCommand({ SecretId: BROKER.name, VersionId: BROKER.versionId }),
    );

    // Assess
    expect([byStage.SecretString, byVersion.SecretString]).toEqual([
      BROKER.secretString,
      BROKER.secretString,
    ]);
  });

  it('raises ResourceNotFoundException for a secret it does not know', async () => {
    // Act
    const attempt = secrets.send(new GetSecretValueCommand({ SecretId: 'orderflow-test-nope' }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toThrow("Secrets Manager can't find the specified secret.");
  });

  it('raises ResourceNotFoundException for another version stage', async () => {
    // Act
    const attempt = secrets.send(
      new GetSecretValueCommand({ SecretId: BROKER.name, VersionStage: 'AWSPREVIOUS' }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toThrow('staging label: AWSPREVIOUS');
  });

  it('answers 20 concurrent GetSecretValue calls, every one', async () => {
    // Prepare
    const before = shim.requests();

    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        secrets.send(new GetSecretValueCommand({ SecretId: index % 2 === 0 ? BROKER.name : BROKER.arn })),
      ),
    );

    // Assess
    expect(answers.map((answer) => answer.SecretString)).toEqual(Array(20).fill(BROKER.secretString));
    expect(shim.requests() - before).toBe(20);
  });

  it('answers DescribeSecret with the version staged AWSCURRENT', async () => {
    // Act
    const answer = await secrets.send(new DescribeSecretCommand({ SecretId: BROKER.arn }));

    // Assess
    expect(answer).toMatchObject({
      ARN: BROKER.arn,
      Name: BROKER.name,
      VersionIdsToStages: { [BROKER.versionId]: ['AWSCURRENT'] },
      CreatedDate: BROKER.createdDate,
    });
  });

  it('refuses another operation with UnknownOperationException naming those it supports', async () => {
    // Act
    const answer = await post('secretsmanager.PutSecretValue', JSON.stringify({ SecretId: BROKER.name }));

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      __type: 'UnknownOperationException',
      message: expect.stringContaining('secretsmanager.GetSecretValue'),
    });
    expect(answer.body).toMatchObject({ message: expect.stringContaining('secretsmanager.PutSecretValue') });
  });

  it.each([
    ['that is not JSON', '{"SecretId":'],
    ['that is not an object', '["orderflow-test-broker-user"]'],
    ['without a SecretId', '{}'],
    ['with a SecretId that is not a string', '{"SecretId":7}'],
  ])('refuses a body %s with InvalidRequestException', async (_case, body) => {
    // Act
    const answer = await post('secretsmanager.GetSecretValue', body);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ __type: 'InvalidRequestException' });
  });

  it('listens on 127.0.0.1', () => {
    expect(shim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
