import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, endpointOf, type HOST, listen, readBody, requestCounter } from '../net.js';

/** One secret as the shim serves it: its one version, staged AWSCURRENT. */
export interface LocalSecret {
  arn: string;
  name: string;
  secretString: string;
  versionId: string;
  createdDate: Date;
}

/** The secret a `SecretId` (name or ARN, as the caller matches them) names, or `undefined` when there is none. */
export type LocalSecretLookup = (
  secretIdOrNameOrArn: string,
) => LocalSecret | undefined | Promise<LocalSecret | undefined>;

/** What {@link startSecretsManagerShim} needs. */
export interface SecretsManagerShimOptions {
  /** 0 = any free port. */
  port: number;
  lookup: LocalSecretLookup;
  /** Where it listens: 127.0.0.1, as everything the local cloud serves. */
  host?: typeof HOST;
}

/** A running shim. */
export interface SecretsManagerShim {
  port: number;
  /** `http://127.0.0.1:<port>`: the endpoint for `SecretsManagerClient` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  url: string;
  close(): Promise<void>;
  /** How many requests it has received. */
  requests(): number;
}

/** The operations the shim answers, by their `X-Amz-Target`. */
export const SUPPORTED_TARGETS = ['secretsmanager.GetSecretValue', 'secretsmanager.DescribeSecret'] as const;

/** The largest request body it reads; a `GetSecretValue` is a few hundred bytes. */
const MAX_REQUEST_BYTES = 64 * 1024;
const CURRENT = 'AWSCURRENT';
const NOT_FOUND = "Secrets Manager can't find the specified secret.";

/**
 * Secrets Manager for the local cloud: `POST /` in the JSON 1.1 protocol (`X-Amz-Target:
 * secretsmanager.GetSecretValue`, body `{ SecretId, VersionStage?, VersionId? }`), and `DescribeSecret`, answered
 * as AWS answers: `{ ARN, Name, SecretString, VersionId, VersionStages: ["AWSCURRENT"], CreatedDate }` with the date
 * in epoch seconds; an unknown secret, stage or version id as 400 `ResourceNotFoundException`; another target as 400
 * `UnknownOperationException`; a body that is not `{ SecretId: "…" }` as 400 `InvalidRequestException`. So the real
 * `SecretsManagerClient` reads the stack's secrets from it. Signatures are not checked: the local cloud has no IAM,
 * so any credentials do. It listens on 127.0.0.1 only.
 */
export async function startSecretsManagerShim(
  options: SecretsManagerShimOptions,
): Promise<SecretsManagerShim> {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    response.setHeader('x-amzn-RequestId', randomUUID());
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method !== 'POST' || path !== '/') {
      return sendError(
        response,
        404,
        'UnknownOperationException',
        `No Secrets Manager operation at ${request.method} ${path}: POST / with an X-Amz-Target header`,
      );
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    if (!isSupported(target)) {
      return sendError(
        response,
        400,
        'UnknownOperationException',
        `${target === '' ? 'No X-Amz-Target' : `The operation ${target}`} is not supported by the local Secrets Manager: it supports ${SUPPORTED_TARGETS.join(' and ')}`,
      );
    }
    const body = await readBody(request, MAX_REQUEST_BYTES);
    const parsed = body === undefined ? undefined : requestOf(body);
    if (typeof parsed === 'string' || parsed === undefined) {
      return sendError(
        response,
        400,
        'InvalidRequestException',
        parsed ?? `The request is larger than ${MAX_REQUEST_BYTES} bytes`,
      );
    }

    const secret = await options.lookup(parsed.SecretId);
    if (secret === undefined) return sendError(response, 400, 'ResourceNotFoundException', NOT_FOUND);
    if (target === 'secretsmanager.DescribeSecret') {
      return sendJson(response, {
        ARN: secret.arn,
        Name: secret.name,
        VersionIdsToStages: { [secret.versionId]: [CURRENT] },
        CreatedDate: epochSeconds(secret.createdDate),
        LastChangedDate: epochSeconds(secret.createdDate),
      });
    }
    const { VersionStage: stage, VersionId: versionId } = parsed;
    if (stage !== undefined && stage !== CURRENT) {
      return sendError(
        response,
        400,
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      );
    }
    if (versionId !== undefined && versionId !== secret.versionId) {
      return sendError(
        response,
        400,
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    return sendJson(response, {
      ARN: secret.arn,
      Name: secret.name,
      SecretString: secret.secretString,
      VersionId: secret.versionId,
      VersionStages: [CURRENT],
      CreatedDate: epochSeconds(secret.createdDate),
    });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'InternalServiceError', String(error));
      else response.end();
    });
  });
  const requests = requestCounter(server);
  // `listen` binds 127.0.0.1, the only host `options.host` may name.
  const port = await listen(server, options.port);
  return { port, url: endpointOf(port), requests, close: () => close(server) };
}

interface SecretRequest {
  SecretId: string;
  VersionStage?: string;
  VersionId?: string;
}

function isSupported(target: string): target is (typeof SUPPORTED_TARGETS)[number] {
  return (SUPPORTED_TARGETS as readonly string[]).includes(target);
}

/** The request, or what is wrong with it. */
function requestOf(body: Buffer): SecretRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return 'The request body is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'The request body is not a JSON object';
  }
  const { SecretId, VersionStage, VersionId } = value as Record<string, unknown>;
  if (typeof SecretId !== 'string' || SecretId === '') return 'SecretId is required and must be a string';
  if (VersionStage !== undefined && typeof VersionStage !== 'string') return 'VersionStage must be a string';
  if (VersionId !== undefined && typeof VersionId !== 'string') return 'VersionId must be a string';
  return {
    SecretId,
    ...(VersionStage !== undefined && { VersionStage }),
    ...(VersionId !== undefined && { VersionId }),
  };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function sendJson(response: ServerResponse, body: unknown): void {
  response.statusCode = 200;
  response.setHeader('content-type', 'application/x-amz-json-1.1');
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/x-amz-json-1.1');
  response.end(JSON.stringify({ __type: type, message }));
}
