import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConfirmChannel } from 'amqplib';
import { brokerChannel } from './broker-channel.js';
import { createSecretsManagerClient } from './clients.js';

/** Where the legacy broker is and which secret holds its user: what serverless.yml gives the bridge's functions. */
export interface LegacyBrokerAccess {
  /** The broker's AMQP endpoint, e.g. `amqps://b-1234.mq.eu-west-1.amazonaws.com:5671` (locally `amqp://127.0.0.1:5672`). */
  endpoint: string;
  /** The Secrets Manager secret (ARN or name) the broker's user was created from: `{ "username": …, "password": … }`. */
  secretId: string;
}

export interface BrokerCredentials {
  username: string;
  password: string;
}

/** The secret's value is not the `{ username, password }` JSON the broker and Lambda's event source both read. */
export class BrokerSecretError extends Error {
  constructor(secretId: string, problem: string) {
    super(
      `The legacy broker's secret ${secretId} ${problem}: it must hold {"username": "…", "password": "…"}.`,
    );
    this.name = 'BrokerSecretError';
  }
}

/** Reads the broker's user from its secret (the same JSON Lambda's `BASIC_AUTH` source access reads). */
export async function readBrokerCredentials(
  secrets: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
): Promise<BrokerCredentials> {
  const { SecretString: text } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (text === undefined) throw new BrokerSecretError(secretId, 'has no SecretString');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BrokerSecretError(secretId, 'is not JSON');
  }
  const { username, password } = (value ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new BrokerSecretError(secretId, 'lacks a username or a password');
  }
  return { username, password };
}

/** The endpoint with the user in it, each part escaped (a generated password may hold any printable character). */
export function brokerUrlOf(endpoint: string, { username, password }: BrokerCredentials): string {
  const url = new URL(endpoint);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  return url.toString().replace(/\/$/, '');
}

/**
 * The bridge's channel to the legacy broker: the secret is read when the channel is first opened (cold start, or
 * after the broker closed the connection), never per message.
 */
export function legacyBrokerChannel(
  access: LegacyBrokerAccess,
  secrets: Pick<SecretsManagerClient, 'send'> = createSecretsManagerClient(),
): () => Promise<ConfirmChannel> {
  return brokerChannel(async () =>
    brokerUrlOf(access.endpoint, await readBrokerCredentials(secrets, access.secretId)),
  );
}
