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

/**
 * An Amazon MQ for RabbitMQ mapping: Lambda consumes `queue` on the broker with the user of the `BASIC_AUTH`
 * secret, one consumer per mapping (concurrency 1), prefetch = batch size.
 */
export interface RabbitMqEventSource {
  kind: 'rabbitmq';
  logicalId: string;
  functionName: string;
  /** The broker's logical id in the template, and its ARN (the mapping's `EventSourceArn`). */
  brokerLogicalId: string;
  brokerArn: string;
  queue: string;
  /** `VIRTUAL_HOST` source access configuration (default `/`). */
  virtualHost: string;
  /** `BASIC_AUTH` source access configuration: the secret holding `{ username, password }`. */
  secretArn: string;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  enabled: boolean;
}

export type EventSource = SqsEventSource | KinesisEventSource | RabbitMqEventSource;

/**
 * An `AWS::AmazonMQ::Broker` with engine RabbitMQ: what the local cloud needs to run one (a real RabbitMQ broker)
 * in its place.
 */
export interface LocalBroker {
  logicalId: string;
  name: string;
  arn: string;
  /** The AMQP port it is reached on, as `AmqpEndpoints` says (`amqp://127.0.0.1:<port>`). */
  port: number;
  /** Its one user, from the template's `Users` (dynamic references to the secret resolved). */
  username: string;
  password: string;
  /** `DeploymentMode`: locally always one node. */
  deploymentMode: string;
}

/** A provisioned resource: what `Ref` and `Fn::GetAtt` resolve to locally. */
export interface LocalResource {
  type: string;
  ref: string;
  attributes: Record<string, string>;
  /** Attributes whose value is a list (`AmqpEndpoints` of a broker), for `Fn::Select` and `Fn::Join`. */
  listAttributes?: Record<string, string[]>;
}

/** An `AWS::SecretsManager::Secret`, its value generated (or given) as CloudFormation does: what the local Secrets Manager serves. */
export interface LocalSecret {
  logicalId: string;
  name: string;
  arn: string;
  secretString: string;
  versionId: string;
  createdDate: Date;
}

/** A `Custom::BrokerDefinitions` resource: RabbitMQ definitions to declare on the broker it depends on. */
export interface LocalBrokerDefinitions {
  logicalId: string;
  brokerLogicalId: string;
  /** The `Definitions` property, intrinsics resolved (read with `readBrokerDefinitions`). */
  definitions: unknown;
}

/** What an IoT topic rule does with the SELECT's output: invoke a function asynchronously, or send to a queue. */
export type TopicRuleAction =
  | { kind: 'lambda'; functionName: string; functionArn: string }
  | { kind: 'sqs'; queueUrl: string; useBase64: boolean };

/** An `AWS::IoT::TopicRule`: its SQL parsed (at provisioning: unsupported SQL stops the start), actions, error action. */
export interface LocalTopicRule {
  logicalId: string;
  name: string;
  arn: string;
  sql: string;
  enabled: boolean;
  actions: TopicRuleAction[];
  errorAction?: TopicRuleAction;
}

/**
 * A function's asynchronous invocation configuration (`AWS::Lambda::EventInvokeConfig`): how often Lambda retries a
 * failed event invocation, how old an event may get, and where a failed one goes.
 */
export interface AsyncInvokeConfig {
  functionName: string;
  /** 0–2; Lambda's default 2. */
  maximumRetryAttempts: number;
  /** 60–21600 s; Lambda's default 21600 (6 hours). */
  maximumEventAgeSeconds: number;
  onFailure?: OnFailureDestination;
}

export interface ProvisionedStack {
  region: string;
  accountId: string;
  resources: Record<string, LocalResource>;
  functions: LocalFunction[];
  routes: LocalRoute[];
  eventSources: EventSource[];
  secrets: LocalSecret[];
  /** RabbitMQ brokers to run, and the definitions to declare on them once they run. */
  brokers: LocalBroker[];
  brokerDefinitions: LocalBrokerDefinitions[];
  topicRules: LocalTopicRule[];
  asyncInvokeConfigs: AsyncInvokeConfig[];
  /** One line per resource type the local cloud cannot provide (named, not fatal). */
  warnings: string[];
}
