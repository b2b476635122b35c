import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient } from '../adapters/clients.js';
import { asDependencyError } from '../adapters/dependency-error.js';
import type { Caller } from '../core/caller.js';
import { findInCauseChain, IdempotencyKeyReusedError, OrderflowError } from '../core/errors.js';
import { RequestInProgressError } from './errors.js';
import { type HttpResponse, REPLAYED_HEADER } from './responses.js';

/** What an idempotent HTTP command receives: the caller, the parsed request and the key that guards it, if any. */
export interface CommandInput<R> {
  /** Who sends it: keys are the caller's own, so one customer never gets another's stored response. */
  caller: Caller;
  /** The `Idempotency-Key` header; without it the command is not deduplicated. */
  idempotencyKey: string | undefined;
  /** The request's correlation id, for the events the command publishes; not part of what a replay must match. */
  correlationId?: string;
  /** Everything that identifies the request (path parameters, parsed body): its hash tells a replay from a misuse. */
  request: R;
}

export interface IdempotentCommandOptions {
  tableName: string;
  /** Namespaces the keys of one command (`createOrder`, `payOrder`, ...) in the shared table. */
  keyPrefix: string;
  client?: DynamoDBClient;
  /** How long a completed response is replayed. */
  expiresAfterSeconds?: number;
}

/**
 * Guards an HTTP command with Powertools idempotency: the first request with a key runs it and stores its response;
 * the same key with the same request replays that response (with `Idempotent-Replayed: true`), with another request
 * is a 422, while the first is still running a 409. A command that throws stores nothing, so a retry runs it again.
 */
export function makeIdempotentCommand<R>(
  command: (input: CommandInput<R>) => Promise<HttpResponse>,
  {
    tableName,
    keyPrefix,
    client = createDynamoDbClient(),
    expiresAfterSeconds = 3600,
  }: IdempotentCommandOptions,
): (input: CommandInput<R>, context: Context) => Promise<HttpResponse> {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'callersKey',
    payloadValidationJmesPath: 'request',
    throwOnNoIdempotencyKey: false,
    expiresAfterSeconds,
    responseHook: (response) => {
      const stored = response as unknown as HttpResponse;
      return { ...stored, headers: { ...stored.headers, [REPLAYED_HEADER]: 'true' } };
    },
  });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client });
  const idempotent = makeIdempotent(
    (input: CommandInput<R> & { callersKey: string | undefined }) => command(input),
    { persistenceStore, config, keyPrefix },
  );

  return async (input, context) => {
    config.registerLambdaContext(context);
    // The same key from two customers is two keys: the second never gets the first one's response.
    const callersKey =
      input.idempotencyKey === undefined ? undefined : `${input.caller.customerId}:${input.idempotencyKey}`;
    try {
      return await idempotent({ ...input, callersKey });
    } catch (error) {
      throw translateIdempotencyError(error);
    }
  };
}

/** Powertools' errors into the orderflow family; the command's own errors pass through unchanged. */
function translateIdempotencyError(error: unknown): unknown {
  if (error instanceof OrderflowError) return error;
  if (error instanceof IdempotencyValidationError) return new IdempotencyKeyReusedError({ cause: error });
  if (error instanceof IdempotencyAlreadyInProgressError) return new RequestInProgressError({ cause: error });
  // The key's record was there when this request tried to take it, and gone when it read it: another attempt with
  // the key just failed and let it go. Trying again takes it.
  if (error instanceof IdempotencyItemNotFoundError) return new RequestInProgressError({ cause: error });
  const ours = findInCauseChain(
    error,
    (candidate): candidate is OrderflowError => candidate instanceof OrderflowError,
  );
  if (ours !== undefined) return ours;
  // Persistence errors wrap the SDK error: a throttled or unreachable table is a 503, not a 500.
  const sdkError = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const translated = asDependencyError('DYNAMODB', sdkError);
  return translated === sdkError ? error : translated;
}
