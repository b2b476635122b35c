/**
 * What the local cloud runs, as read from the CloudFormation template that `serverless package --stage local`
 * writes: every name and ARN here comes from serverless.yml through that template, none is written twice.
 */

export interface LocalFunction {
  /** Logical id in the template, e.g. `CreateOrderLambdaFunction`. */
  logicalId: string;
  /** `FunctionName`, e.g. `orderflow-local-createOrder`. */
  name: string;
  arn: string;
  /** The packaged artifact: the basename of `Code.S3Key`, e.g. `createOrder.zip`, in the package directory. */
  artifact: string;
  /** `Handler`, e.g. `functions/create-order.handler`. */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** `ReservedConcurrentExecutions`: the most environments it may run at once (absent: the account's limit). */
  reservedConcurrency?: number;
  /** `Environment.Variables`, intrinsics resolved to local names and ARNs. */
  environment: Record<string, string>;
}

/** An HTTP API route: `routeKey` is `METHOD /path/{param}` (or `$default`). */
export interface LocalRoute {
  routeKey: string;
  /** Upper-case method, or `ANY`; `$default` routes have method `ANY` and path `$default`. */
  method: string;
  path: string;
  functionName: string;
  /** Integration `PayloadFormatVersion` (`2.0` for everything orderflow declares). */
  payloadFormatVersion: string;
  /** The JWT authorizer in front of the route (`AuthorizationType: JWT`); none: the route is open. */
  authorizer?: RouteAuthorizer;
}

/** A JWT authorizer as a route uses it: what a token must carry to reach the function. */
export interface RouteAuthorizer {
  name: string;
  issuer: string;
  /** A token's `aud` must be one of these. */
  audience: string[];
  /** `$request.header.<name>` selection expressions; orderflow's is `$request.header.Authorization`. */
  identitySource: string[];
  /** The route's `AuthorizationScopes`: a token must grant one of them (none listed: any token). */
  scopes: string[];
}

export interface SqsEventSource {
  kind: 'sqs';
  /** Logical id of the `AWS::Lambda::EventSourceMapping`. */
  logicalId: string;
  functionName: string;
  queueUrl: string;
  queueArn: string;
  fifo: boolean;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** `ScalingConfig.MaximumConcurrency`: the most concurrent invocations this mapping makes (absent: no cap). */
  maximumConcurrency?: number;
  enabled: boolean;
}

export type OnFailureDestination =
  | { type: 'sqs'; arn: string; queueUrl: string }
  | { type: 'sns'; arn: string };

export interface KinesisEventSource {
  kind: 'kinesis';
  logicalId: string;
  functionName: string;
  streamName: string;
  streamArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  startingPositionTimestamp?: Date;
  bisectBatchOnFunctionError: boolean;
  /** -1: retry until the record expires (AWS's default). */
  maximumRetryAttempts: number;
  /** -1: no limit (AWS's default). */
  maximumRecordAgeSeconds: number;
  reportBatchItemFailures: boolean;
  onFailure?: OnFailureDestination;
  enabled: boolean;
}

export type EventSource = SqsEventSource | KinesisEventSource;

/** A provisioned resource: what `Ref` and `Fn::GetAtt` resolve to locally. */
export interface LocalResource {
  type: string;
  ref: string;
  attributes: Record<string, string>;
}

export interface ProvisionedStack {
  region: string;
  accountId: string;
  resources: Record<string, LocalResource>;
  functions: LocalFunction[];
  routes: LocalRoute[];
  eventSources: EventSource[];
  /** One line per resource type the local cloud cannot provide (named, not fatal). */
  warnings: string[];
}
