import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageStack } from '../../local/package-stack.js';
import { DEV_IOT_DATA_ENDPOINT } from '../support/packaged-stack.js';
import type { CfnTemplate, SpecDatabase, SpecProblem } from './cfn-spec.js';
import { formatProblems, loadCfnSpec, validateTemplate } from './cfn-spec.js';
import { packagedTemplate } from './package-template.js';
import type { LocatedStatement } from './template-queries.js';
import {
  arnOf,
  asList,
  describeReference,
  eventSourceMappings,
  functionStatements,
  getResource,
  grantsOf,
  isRecord,
  lambdaFunction,
  numberAt,
  policyStatements,
  propertyAt,
  referencedLogicalId,
  resourcesOfType,
  roleOf,
  roleStatements,
} from './template-queries.js';

const FUNCTIONS = [
  'createOrder',
  'getOrder',
  'payOrder',
  'cancelOrder',
  'processOrder',
  'reviewOrder',
  'aggregateAnalytics',
  'notifyCustomer',
  'redriveDlq',
  'importLegacyOrder',
  'publishLegacyStatus',
  'applyBrokerDefinitions',
  'recordScan',
] as const;
type FunctionName = (typeof FUNCTIONS)[number];

/** Variables that carry credentials, or say where the SDK's default chain would look for them. */
const CREDENTIAL_VARIABLE =
  /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|SHARED_CREDENTIALS_FILE|CONFIG_FILE|ROLE_ARN|WEB_IDENTITY_TOKEN_FILE)$/;

/** The one customer managed key: it encrypts the topic, every queue and the activity stream. */
const KEY = 'OrderflowKey';

/** The activity stream, the functions that consume it (each with a mapping of its own) and where failures go. */
const STREAM = 'OrderActivityStream';
const STREAM_CONSUMERS = [
  'aggregateAnalytics',
  'notifyCustomer',
  'publishLegacyStatus',
] as const satisfies readonly FunctionName[];
const FAILURES_QUEUE = 'ActivityFailuresQueue';

/** Lambda's options for each stream consumer: all of the mapping but its source and target. */
const STREAM_MAPPING_OPTIONS = {
  BatchSize: 100,
  Enabled: true,
  StartingPosition: 'TRIM_HORIZON',
  FunctionResponseTypes: ['ReportBatchItemFailures'],
  BisectBatchOnFunctionError: true,
  MaximumRetryAttempts: 3,
  MaximumRecordAgeInSeconds: 3600,
  DestinationConfig: { OnFailure: { Destination: arnOf(FAILURES_QUEUE) } },
};

/** An IoT Core topic as an IAM resource: a Fn::Sub pattern, `\${AWS::…}` being CloudFormation's placeholders. */
const iotTopic = (topic: string) =>
  `arn:\${AWS::Partition}:iot:\${AWS::Region}:\${AWS::AccountId}:topic/${topic}`;

/** The IoT Core topics each publishing function may publish to, and no other. */
const IOT_TOPICS: Partial<Record<FunctionName, readonly string[]>> = {
  reviewOrder: ['ops/reviews'],
  aggregateAnalytics: ['analytics/orders/summary'],
  notifyCustomer: ['orders/*/*/status'],
  recordScan: ['warehouse/*/scans/rejected'],
};

/**
 * Active tracing: every function sends its trace segments, which X-Ray takes on `"*"` only (the statement every role
 * inherits from the provider; observability.test.ts checks it is in each).
 */
const WRITE_TRACES = {
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: ['*'],
};

/** What each function may do besides writing its own logs: `<action> on <resource>`, one per pair. */
const ORDERS_READ_WRITE = [
  'dynamodb:GetItem on OrdersTable.Arn',
  'dynamodb:PutItem on OrdersTable.Arn',
  'dynamodb:UpdateItem on OrdersTable.Arn',
];
const IDEMPOTENCY_RECORDS = [
  'dynamodb:DeleteItem on IdempotencyTable.Arn',
  'dynamodb:GetItem on IdempotencyTable.Arn',
  'dynamodb:PutItem on IdempotencyTable.Arn',
  'dynamodb:UpdateItem on IdempotencyTable.Arn',
];
/** The topic, the queues and the stream are encrypted with the key: writing or reading any of them needs it. */
const USE_KEY = [`kms:Decrypt on ${KEY}.Arn`, `kms:GenerateDataKey on ${KEY}.Arn`];
const PUBLISH_ORDER_EVENTS = [...USE_KEY, 'sns:Publish on OrderEventsTopic'];
/** A consumer sends a permanent failure to its queue's DLQ itself, by name (`GetQueueUrl`). */
const deadLetterInto = (dlq: string) => [`sqs:GetQueueUrl on ${dlq}.Arn`, `sqs:SendMessage on ${dlq}.Arn`];
/** An IoT publisher publishes to its own topics only (at the data endpoint the deploy names: no lookup). */
const publishToIot = (...topics: string[]) => topics.map((topic) => `iot:Publish on ${iotTopic(topic)}`);
/**
 * The stream and the failure queue are encrypted with the key: a stream consumer decrypts what it reads and
 * encrypts the batch it gives up on, which its own role sends to the on-failure destination.
 */
const SEND_FAILED_BATCHES = [...USE_KEY, `sqs:SendMessage on ${FAILURES_QUEUE}.Arn`];
/** Lambda's Kinesis poller also lists the stream's shards, which serverless does not grant (serverless#8540). */
const LIST_SHARDS = [
  'kinesis:DescribeStreamSummary on OrderActivityStream.Arn',
  'kinesis:ListShards on OrderActivityStream.Arn',
];
/** What Lambda's Amazon MQ event source asks of the function's role about the network; EC2 takes no resource for it. */
const DESCRIBE_BROKER_NETWORK = {
  Effect: 'Allow',
  Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'],
  Resource: ['*'],
};
/** The legacy broker's user is in a secret encrypted with the key: reading it needs both. */
const READ_BROKER_SECRET = [
  'secretsmanager:GetSecretValue on LegacyBrokerSecret',
  `kms:Decrypt on ${KEY}.Arn`,
];
const EXPECTED_GRANTS: Record<FunctionName, readonly string[]> = {
  // Without an Idempotency-Key a failed publish discards the order it just wrote: hence DeleteItem.
  createOrder: [
    'dynamodb:DeleteItem on OrdersTable.Arn',
    ...ORDERS_READ_WRITE,
    ...IDEMPOTENCY_RECORDS,
    ...PUBLISH_ORDER_EVENTS,
  ],
  // Tables are encrypted with the key too: reading one needs kms:Decrypt, and getOrder needs nothing else of it.
  getOrder: ['dynamodb:GetItem on OrdersTable.Arn', `kms:Decrypt on ${KEY}.Arn`],
  payOrder: [...ORDERS_READ_WRITE, ...IDEMPOTENCY_RECORDS, ...PUBLISH_ORDER_EVENTS],
  cancelOrder: [...ORDERS_READ_WRITE, ...IDEMPOTENCY_RECORDS, ...PUBLISH_ORDER_EVENTS],
  // Fulfilling a paid order is an order command like the HTTP ones (it publishes OrderFulfilled); no idempotency
  // records: the order itself remembers the paid event it answered.
  processOrder: [
    ...ORDERS_READ_WRITE,
    ...PUBLISH_ORDER_EVENTS,
    'dynamodb:GetItem on FulfillmentProgressTable.Arn',
    'dynamodb:PutItem on FulfillmentProgressTable.Arn',
    'dynamodb:UpdateItem on FulfillmentProgressTable.Arn',
    'kinesis:PutRecords on OrderActivityStream.Arn',
    ...deadLetterInto('FulfillmentDlq'),
  ],
  reviewOrder: [
    'dynamodb:PutItem on ReviewsTable.Arn',
    ...publishToIot('ops/reviews'),
    ...USE_KEY,
    ...deadLetterInto('ReviewDlq'),
  ],
  // Windows are read and counted up in place (UpdateItem), never replaced or deleted.
  aggregateAnalytics: [
    'dynamodb:GetItem on AnalyticsTable.Arn',
    'dynamodb:UpdateItem on AnalyticsTable.Arn',
    ...publishToIot('analytics/orders/summary'),
    ...SEND_FAILED_BATCHES,
    ...LIST_SHARDS,
  ],
  notifyCustomer: [...publishToIot('orders/*/*/status'), ...SEND_FAILED_BATCHES, ...LIST_SHARDS],
  // Reads and deletes the DLQs, sends back to their source queues, stages, parks and unparks in its table; no Scan.
  redriveDlq: [
    ...['FulfillmentDlq', 'ReviewDlq'].flatMap((dlq) => [
      `sqs:GetQueueUrl on ${dlq}.Arn`,
      `sqs:ReceiveMessage on ${dlq}.Arn`,
      `sqs:DeleteMessage on ${dlq}.Arn`,
    ]),
    ...['FulfillmentQueue', 'ReviewQueue'].flatMap((queue) => [
      `sqs:GetQueueUrl on ${queue}.Arn`,
      `sqs:SendMessage on ${queue}.Arn`,
    ]),
    'dynamodb:GetItem on ParkingTable.Arn',
    'dynamodb:PutItem on ParkingTable.Arn',
    'dynamodb:DeleteItem on ParkingTable.Arn',
    'dynamodb:Query on ParkingTable.Arn',
    ...USE_KEY,
  ],
  // The ERP bridge: importLegacyOrder places orders as createOrder does (retryable: no DeleteItem), and what
  // Lambda's Amazon MQ event source needs of its role (the broker, the network); the three read the broker's user.
  importLegacyOrder: [
    ...ORDERS_READ_WRITE,
    ...PUBLISH_ORDER_EVENTS,
    'dynamodb:PutItem on LegacyOrdersTable.Arn',
    ...READ_BROKER_SECRET,
    'mq:DescribeBroker on LegacyBroker.Arn',
    'ec2:DescribeSecurityGroups on *',
    'ec2:DescribeVpcs on *',
  ],
  publishLegacyStatus: [
    'dynamodb:GetItem on LegacyOrdersTable.Arn',
    ...READ_BROKER_SECRET,
    ...SEND_FAILED_BATCHES,
    ...LIST_SHARDS,
  ],
  applyBrokerDefinitions: [...READ_BROKER_SECRET, `kms:Decrypt on ${KEY}.Arn`],
  // A scan is an order command like pay and cancel; Lambda sends a scan that failed three times to scan-failures with
  // the function's role; a refusal goes back to the scanner's site only.
  recordScan: [
    ...ORDERS_READ_WRITE,
    ...PUBLISH_ORDER_EVENTS,
    'sqs:SendMessage on ScanFailuresQueue.Arn',
    ...publishToIot('warehouse/*/scans/rejected'),
  ],
};

/**
 * What serverless grants a function for its event source, SQS or Kinesis; it must name only the queue or the stream
 * the function consumes.
 */
const POLLING_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
const STREAM_READING_ACTIONS = [
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:DescribeStream',
  'kinesis:ListStreams',
];

/** Every queue of the fan-out, by logical id, with its name after `orderflow-<stage>-`. */
const QUEUE_NAMES: Record<string, string> = {
  FulfillmentQueue: 'fulfillment.fifo',
  FulfillmentDlq: 'fulfillment-dlq.fifo',
  FulfillmentSubscriptionDlq: 'fulfillment-subscription-dlq.fifo',
  ReviewQueue: 'review.fifo',
  ReviewDlq: 'review-dlq.fifo',
  ReviewSubscriptionDlq: 'review-subscription-dlq.fifo',
};

interface Consumer {
  consumer: FunctionName;
  queue: string;
  dlq: string;
}

/** The source queues, the function that consumes each, and the DLQ it redrives to after five receives. */
const CONSUMERS: readonly Consumer[] = [
  { consumer: 'processOrder', queue: 'FulfillmentQueue', dlq: 'FulfillmentDlq' },
  { consumer: 'reviewOrder', queue: 'ReviewQueue', dlq: 'ReviewDlq' },
];

interface Subscription {
  subscription: string;
  queue: string;
  dlq: string;
  wanted: string;
  filterPolicy: Record<string, unknown>;
}

/** The subscriptions of the order events topic: raw delivery, filtered on message attributes. */
const SUBSCRIPTIONS: readonly Subscription[] = [
  {
    subscription: 'FulfillmentSubscription',
    queue: 'FulfillmentQueue',
    dlq: 'FulfillmentSubscriptionDlq',
    wanted: 'placed, paid, cancelled, shipped and delivered orders',
    filterPolicy: {
      eventType: ['OrderPlaced', 'OrderPaid', 'OrderCancelled', 'OrderShipped', 'OrderDelivered'],
    },
  },
  {
    subscription: 'ReviewSubscription',
    queue: 'ReviewQueue',
    dlq: 'ReviewSubscriptionDlq',
    wanted: 'placed orders of 100000 or more',
    filterPolicy: { eventType: ['OrderPlaced'], total: [{ numeric: ['>=', 100000] }] },
  },
];

/** AWS's defaults, for properties a template may leave out, and the longest an SQS queue keeps a message. */
const SQS_DEFAULT_VISIBILITY_TIMEOUT = 30;
const SQS_DEFAULT_RETENTION_PERIOD = 345_600;
const SQS_MAX_RETENTION_PERIOD = 1_209_600;
const LAMBDA_DEFAULT_TIMEOUT = 3;

const ROUTES: Record<string, FunctionName> = {
  'POST /orders': 'createOrder',
  'GET /orders/{orderId}': 'getOrder',
  'POST /orders/{orderId}/pay': 'payOrder',
  'POST /orders/{orderId}/cancel': 'cancelOrder',
};

let spec: SpecDatabase;

beforeAll(async () => {
  spec = await loadCfnSpec();
});

describe('the dev stage template', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate('dev');
  });

  it('validates against the CloudFormation resource specification', () => {
    const problems = validateTemplate(template, spec);

    expect(Object.keys(template.Resources).length).toBeGreaterThan(20);
    expect(problems, formatProblems(problems)).toEqual([]);
  });

  describe('the spec validator', () => {
    interface MistakeCase {
      mistake: string;
      make: (template: CfnTemplate) => void;
      expected: { logicalId: string; path: string; message: string };
    }

    it.each<MistakeCase>([
      {
        mistake: 'an unknown property',
        make: (copy) => setProperty(copy, 'OrdersTable', ['BilingMode'], 'PAY_PER_REQUEST'),
        expected: { logicalId: 'OrdersTable', path: 'Properties.BilingMode', message: 'unknown property' },
      },
      {
        mistake: 'an unknown property inside a nested property type',
        make: (copy) => setProperty(copy, 'OrdersTable', ['SSESpecification', 'SseEnabled'], true),
        expected: {
          logicalId: 'OrdersTable',
          path: 'Properties.SSESpecification.SseEnabled',
          message: 'unknown property',
        },
      },
      {
        mistake: 'a missing required property',
        make: (copy) => deleteProperty(copy, 'HttpApiRoutePostOrders', ['RouteKey']),
        expected: {
          logicalId: 'HttpApiRoutePostOrders',
          path: 'Properties.RouteKey',
          message: 'missing required property',
        },
      },
      {
        mistake: 'a missing required property inside a nested property type',
        make: (copy) => deleteProperty(copy, 'OrdersTable', ['SSESpecification', 'SSEEnabled']),
        expected: {
          logicalId: 'OrdersTable',
          path: 'Properties.SSESpecification.SSEEnabled',
          message: 'missing required property',
        },
      },
      {
        mistake: "an unknown property inside a stream mapping's on-failure destination",
        make: (copy) =>
          setProperty(
            copy,
            'NotifyCustomerEventSourceMappingKinesisOrderActivityStream',
            ['DestinationConfig', 'OnFailure', 'DestinationArn'],
            arnOf(FAILURES_QUEUE),
          ),
        expected: {
          logicalId: 'NotifyCustomerEventSourceMappingKinesisOrderActivityStream',
          path: 'Properties.DestinationConfig.OnFailure.DestinationArn',
          message: 'unknown property',
        },
      },
      {
        mistake: 'a wrong primitive type',
        make: (copy) => setProperty(copy, 'OrderEventsTopic', ['FifoTopic'], 'yes'),
        expected: {
          logicalId: 'OrderEventsTopic',
          path: 'Properties.FifoTopic',
          message: 'expected boolean, got string "yes"',
        },
      },
      {
        mistake: 'a list where an object goes',
        make: (copy) => setProperty(copy, 'GetOrderLambdaFunction', ['Environment'], []),
        expected: {
          logicalId: 'GetOrderLambdaFunction',
          path: 'Properties.Environment',
          message: 'expected Environment (object), got a list',
        },
      },
      {
        mistake: 'a GetAtt to an attribute the resource type does not have',
        make: (copy) =>
          setProperty(copy, 'GetOrderLambdaFunction', ['Role'], {
            'Fn::GetAtt': ['GetOrderIamRoleLambdaExecution', 'RoleArn'],
          }),
        expected: {
          logicalId: 'GetOrderLambdaFunction',
          path: 'Properties.Role.Fn::GetAtt',
          message: 'AWS::IAM::Role has no attribute RoleArn',
        },
      },
      {
        mistake: 'a GetAtt to a resource that does not exist',
        make: (copy) =>
          setProperty(copy, 'GetOrderLambdaFunction', ['Role'], { 'Fn::GetAtt': ['GetOrderRole', 'Arn'] }),
        expected: {
          logicalId: 'GetOrderLambdaFunction',
          path: 'Properties.Role.Fn::GetAtt',
          message: 'names GetOrderRole, which is not a resource',
        },
      },
      {
        mistake: 'a Ref to a resource that does not exist',
        make: (copy) => setProperty(copy, 'OrderEventsTopic', ['KmsMasterKeyId'], { Ref: 'OrderEventsKey' }),
        expected: {
          logicalId: 'OrderEventsTopic',
          path: 'Properties.KmsMasterKeyId.Ref',
          message: 'Ref to OrderEventsKey, which is not a resource, a parameter or a pseudo parameter',
        },
      },
      {
        mistake: 'a Fn::Sub naming something that does not exist',
        make: (copy) =>
          setProperty(copy, 'OrderflowKey', ['KeyPolicy', 'Statement', '0', 'Principal', 'AWS'], {
            'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::Account}:root`,
          }),
        expected: {
          logicalId: 'OrderflowKey',
          path: 'Properties.KeyPolicy.Statement[0].Principal.AWS.Fn::Sub',
          message: `\${AWS::Account} names no resource, parameter or pseudo parameter`,
        },
      },
      {
        mistake: 'a Fn::Sub naming an attribute the resource type does not have',
        make: (copy) =>
          setProperty(copy, 'OrderEventsTopic', ['DisplayName'], { 'Fn::Sub': `\${OrdersTable.Name}` }),
        expected: {
          logicalId: 'OrderEventsTopic',
          path: 'Properties.DisplayName.Fn::Sub',
          message: `\${OrdersTable.Name}: AWS::DynamoDB::Table has no attribute Name`,
        },
      },
      {
        mistake: 'an unknown resource type',
        make: (copy) => {
          copy.Resources.FulfillmentQueue = { Type: 'AWS::SQS::FifoQueue', Properties: { FifoQueue: true } };
        },
        expected: {
          logicalId: 'FulfillmentQueue',
          path: 'Type',
          message: 'unknown resource type AWS::SQS::FifoQueue',
        },
      },
      {
        mistake: 'a DependsOn naming a resource that does not exist',
        make: (copy) => {
          getResource(copy, 'GetOrderLambdaFunction').DependsOn = [
            'GetOrderIamRoleLambdaExecution',
            'GetOrderLogs',
          ];
        },
        expected: {
          logicalId: 'GetOrderLambdaFunction',
          path: 'DependsOn[1]',
          message: 'depends on GetOrderLogs, which is not a resource',
        },
      },
    ])('reports $mistake', ({ make, expected }) => {
      // Prepare
      const copy = structuredClone(template);
      make(copy);

      // Act
      const problems = validateTemplate(copy, spec);

      // Assess
      expect(problems, formatProblems(problems)).toContainEqual<SpecProblem>({
        logicalId: expected.logicalId,
        path: expected.path,
        message: expect.stringContaining(expected.message),
      });
    });
  });

  it('declares the order events topic as FIFO with a KMS key', () => {
    const topic = getResource(template, 'OrderEventsTopic');
    const keyReference = propertyAt(topic, ['KmsMasterKeyId']);
    const keyLogicalId = describeReference(keyReference).split('.')[0] ?? '';

    expect(topic.Type).toBe('AWS::SNS::Topic');
    expect(propertyAt(topic, ['FifoTopic'])).toBe(true);
    expect(propertyAt(topic, ['TopicName'])).toMatch(/\.fifo$/);
    // Deduplication is explicit (MessageDeduplicationId = orderId:seq), never by content.
    expect(propertyAt(topic, ['ContentBasedDeduplication'])).toBe(false);
    expect(isRecord(keyReference) && ('Ref' in keyReference || 'Fn::GetAtt' in keyReference)).toBe(true);
    expect(template.Resources[keyLogicalId]?.Type).toBe('AWS::KMS::Key');
  });

  it('encrypts every DynamoDB table, with point-in-time recovery and on-demand billing', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');

    expect(tables.map(([logicalId]) => logicalId).sort()).toEqual([
      'AnalyticsTable',
      'FulfillmentProgressTable',
      'IdempotencyTable',
      'LegacyOrdersTable',
      'OrdersTable',
      'ParkingTable',
      'ReviewsTable',
    ]);
    for (const [logicalId, table] of tables) {
      expect(propertyAt(table, ['SSESpecification']), logicalId).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: arnOf(KEY),
      });
      expect(
        propertyAt(table, ['PointInTimeRecoverySpecification', 'PointInTimeRecoveryEnabled']),
        logicalId,
      ).toBe(true);
      expect(propertyAt(table, ['BillingMode']), logicalId).toBe('PAY_PER_REQUEST');
    }
  });

  it('runs every function on nodejs22.x', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const names = functions.map(([, lambda]) => propertyAt(lambda, ['FunctionName']));

    expect(names.sort()).toEqual(FUNCTIONS.map((name) => `orderflow-dev-${name}`).sort());
    for (const [logicalId, lambda] of functions) {
      expect(propertyAt(lambda, ['Runtime']), logicalId).toBe('nodejs22.x');
    }
  });

  it('wires deployed functions to AWS itself: the topic by Ref, no endpoint overrides', () => {
    for (const name of FUNCTIONS) {
      const [, lambda] = lambdaFunction(template, 'dev', name);
      const variables = propertyAt(lambda, ['Environment', 'Variables']);

      expect(variables, name).toMatchObject({
        ORDER_EVENTS_TOPIC_ARN: { Ref: 'OrderEventsTopic' },
        ORDERS_TABLE: 'orderflow-dev-orders',
        IDEMPOTENCY_TABLE: 'orderflow-dev-idempotency',
        // The SDK ignores an empty AWS_ENDPOINT_URL_*.
        AWS_ENDPOINT_URL_DYNAMODB: '',
        AWS_ENDPOINT_URL_SNS: '',
        AWS_ENDPOINT_URL_SQS: '',
        AWS_ENDPOINT_URL_KINESIS: '',
        // The account's own IoT data endpoint, as the deploy names it (--param iotDataEndpoint).
        AWS_ENDPOINT_URL_IOT_DATA_PLANE: DEV_IOT_DATA_ENDPOINT,
      });
      // Lambda gives the role's credentials as variables (and refuses a function that sets them).
      expect(
        Object.keys(variables as object).filter((variable) => CREDENTIAL_VARIABLE.test(variable)),
      ).toEqual([]);
    }
  });

  it('refuses to package a deployed stage without the IoT data endpoint (no default, no lookup at run time)', async () => {
    const outputDir = await mkdtemp(join(tmpdir(), 'orderflow-no-iot-endpoint-'));
    try {
      await expect(packageStack({ stage: 'dev', outputDir })).rejects.toThrow(
        /AWS_ENDPOINT_URL_IOT_DATA_PLANE.*Value not found at "param" source/,
      );
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('has no wildcard in any action of a statement that allows, in IAM, KMS key or resource policies', () => {
    // A Deny only narrows access: the TLS-only Denies (`sqs:*`, `kms:*`, the deployment bucket's `s3:*`) may cover
    // every action.
    const checked = policyStatements(template).filter(({ statement }) => statement.Effect !== 'Deny');
    const wildcards = checked.flatMap(({ logicalId, document, index, statement }) => [
      ...asList(statement.Action)
        .filter((action) => typeof action !== 'string' || action.includes('*'))
        .map((action) => `${logicalId} ${document}.Statement[${index}]: Action ${JSON.stringify(action)}`),
      ...(statement.NotAction === undefined
        ? []
        : [`${logicalId} ${document}.Statement[${index}]: NotAction`]),
    ]);

    expect(checked.filter(({ type }) => type === 'AWS::KMS::Key').length).toBeGreaterThan(0);
    expect(new Set(checked.map(({ logicalId }) => logicalId)).size).toBeGreaterThan(FUNCTIONS.length);
    expect(wildcards).toEqual([]);
  });

  it('gives each function a role of its own', () => {
    const roles = FUNCTIONS.map((name) => roleOf(lambdaFunction(template, 'dev', name)[1]));

    expect(new Set(roles).size).toBe(FUNCTIONS.length);
    for (const [index, role] of roles.entries()) {
      expect(role, FUNCTIONS[index]).toBeDefined();
      // serverless-iam-roles-per-function leaves the shared role in the template; no function may use it.
      expect(role, FUNCTIONS[index]).not.toBe('IamRoleLambdaExecution');
      expect(template.Resources[role ?? '']?.Type, FUNCTIONS[index]).toBe('AWS::IAM::Role');
    }
  });

  it.each(FUNCTIONS)('lets %s do only what it needs besides logging and reading its event source', (name) => {
    const grants = grantsOf(
      functionStatements(template, 'dev', name).filter(
        (statement) =>
          statement.Effect === 'Allow' && !isLogsStatement(statement) && !isEventSourceStatement(statement),
      ),
    );

    expect([...new Set(grants)].sort()).toEqual(
      [...new Set([...EXPECTED_GRANTS[name], ...grantsOf([WRITE_TRACES])])].sort(),
    );
  });

  it.each(FUNCTIONS)('scopes the CloudWatch Logs statement of %s to its own log group', (name) => {
    const role = roleOf(lambdaFunction(template, 'dev', name)[1]) ?? '';
    const logsStatements = roleStatements(template, role).filter(isLogsStatement);
    // A Fn::Sub string: `\${AWS::…}` is CloudFormation's placeholder, `${name}` this test's.
    const ownLogStreams = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/orderflow-dev-${name}:*:*`;

    expect(logsStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents'],
        Resource: [{ 'Fn::Sub': ownLogStreams }],
      },
    ]);
  });

  it.each(FUNCTIONS)('lets %s poll only the queue or read only the stream it consumes', (name) => {
    // Prepare
    const queues = CONSUMERS.filter(({ consumer }) => consumer === name).map(({ queue }) => arnOf(queue));
    const streams = STREAM_CONSUMERS.filter((consumer) => consumer === name).map(() => arnOf(STREAM));

    // Act
    // Event-source statements only: redriveDlq receives from the DLQs itself, which its exact grants cover.
    const reading = functionStatements(template, 'dev', name).filter(isEventSourceStatement);

    // Assess
    expect(reading).toEqual([
      ...(queues.length === 0 ? [] : [{ Effect: 'Allow', Action: POLLING_ACTIONS, Resource: queues }]),
      ...(streams.length === 0
        ? []
        : [{ Effect: 'Allow', Action: STREAM_READING_ACTIONS, Resource: streams }]),
    ]);
  });

  it('lets only the order commands, processOrder, importLegacyOrder and recordScan publish, and only to OrderEventsTopic', () => {
    const publishers = FUNCTIONS.filter((name) => {
      const role = roleOf(lambdaFunction(template, 'dev', name)[1]) ?? '';
      return roleStatements(template, role).some((statement) =>
        asList(statement.Action).includes('sns:Publish'),
      );
    });
    // Identity policies: only CloudWatch publishes to the operator alarms topic, by its topic policy
    // (observability.test.ts).
    const publishTargets = identityStatements()
      .filter(({ statement }) => asList(statement.Action).some((action) => String(action).startsWith('sns:')))
      .flatMap(({ statement }) => asList(statement.Resource).map(describeReference));

    expect(publishers).toEqual([
      'createOrder',
      'payOrder',
      'cancelOrder',
      'processOrder',
      'importLegacyOrder',
      'recordScan',
    ]);
    expect(new Set(publishTargets)).toEqual(new Set(['OrderEventsTopic']));
  });

  it('names the resources of every identity policy statement, never Resource "*" but for X-Ray and the MQ network', () => {
    // Key policies are left out: there `Resource: "*"` means the key itself, the only value it takes.
    const statements = identityStatements();
    const unscoped = statements
      .filter(({ statement }) => !isDeepStrictEqual(statement, WRITE_TRACES))
      .filter(({ statement }) => !isDeepStrictEqual(statement, DESCRIBE_BROKER_NETWORK))
      .filter(
        ({ statement }) =>
          statement.NotResource !== undefined ||
          asList(statement.Resource).length === 0 ||
          asList(statement.Resource).includes('*'),
      )
      .map(({ logicalId, statement }) => `${logicalId}: ${JSON.stringify(statement)}`);

    expect(statements.length).toBeGreaterThanOrEqual(FUNCTIONS.length * 2);
    expect(unscoped).toEqual([]);
  });

  it('grants iot:DescribeEndpoint to no function: the deploy names the IoT data endpoint', () => {
    const describing = identityStatements().filter(({ statement }) =>
      asList(statement.Action).some((action) => String(action).startsWith('iot:Describe')),
    );

    expect(describing.map(({ logicalId }) => logicalId)).toEqual([]);
  });

  it('lets only reviewOrder, aggregateAnalytics, notifyCustomer and recordScan publish to IoT Core, each to its own topics', () => {
    const topics = FUNCTIONS.flatMap((name) => {
      const resources = functionStatements(template, 'dev', name)
        .filter((statement) => asList(statement.Action).includes('iot:Publish'))
        .flatMap((statement) => asList(statement.Resource));
      return resources.length === 0 ? [] : [[name, resources] as const];
    });
    const anyIotPublish = policyStatements(template).filter(({ statement }) =>
      asList(statement.Action).includes('iot:Publish'),
    );

    expect(Object.fromEntries(topics)).toEqual(
      Object.fromEntries(
        Object.entries(IOT_TOPICS).map(([name, names]) => [
          name,
          (names ?? []).map((topic) => ({ 'Fn::Sub': iotTopic(topic) })),
        ]),
      ),
    );
    expect(anyIotPublish).toHaveLength(topics.length);
  });

  it('routes the four HTTP API routes to their functions with payload format 2.0', () => {
    const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api').map(([logicalId, api]) => ({
      logicalId,
      protocol: propertyAt(api, ['ProtocolType']),
    }));
    const routed = Object.fromEntries(
      resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([logicalId, route]) => {
        const integration = getResource(template, integrationOf(route.Properties?.Target) ?? '');
        const target = describeReference(propertyAt(integration, ['IntegrationUri']));

        expect(propertyAt(route, ['ApiId']), logicalId).toEqual({ Ref: 'HttpApi' });
        expect(integration.Type, logicalId).toBe('AWS::ApiGatewayV2::Integration');
        expect(propertyAt(integration, ['IntegrationType']), logicalId).toBe('AWS_PROXY');
        expect(propertyAt(integration, ['PayloadFormatVersion']), logicalId).toBe('2.0');
        return [propertyAt(route, ['RouteKey']), FUNCTIONS.find((name) => isFunction(target, name))];
      }),
    );

    expect(apis).toEqual([{ logicalId: 'HttpApi', protocol: 'HTTP' }]);
    expect(routed).toEqual(ROUTES);
  });

  it('declares exactly the fan-out queues, their DLQs, the subscription DLQs and the activity and scan failures queues', () => {
    const queues = resourcesOfType(template, 'AWS::SQS::Queue').map(([logicalId]) => logicalId);

    expect(queues.sort()).toEqual([...Object.keys(QUEUE_NAMES), FAILURES_QUEUE, 'ScanFailuresQueue'].sort());
  });

  describe('the fan-out to fulfillment and review', () => {
    it.each(Object.entries(QUEUE_NAMES))(
      'makes %s a FIFO queue named orderflow-dev-%s',
      (logicalId, name) => {
        const queue = getResource(template, logicalId);

        expect(queue.Type).toBe('AWS::SQS::Queue');
        expect(propertyAt(queue, ['FifoQueue'])).toBe(true);
        expect(propertyAt(queue, ['QueueName'])).toBe(`orderflow-dev-${name}`);
      },
    );

    it.each(Object.keys(QUEUE_NAMES))('encrypts %s with the orderflow KMS key', (logicalId) => {
      const keyReference = propertyAt(getResource(template, logicalId), ['KmsMasterKeyId']);

      expect(referencedLogicalId(keyReference)).toBe(KEY);
      expect(getResource(template, KEY).Type).toBe('AWS::KMS::Key');
    });

    it.each(CONSUMERS)('deduplicates $queue by the explicit id, never by content', ({ queue }) => {
      // The publisher sets MessageDeduplicationId = orderId:seq; SNS passes it on to the queue.
      expect(propertyAt(getResource(template, queue), ['ContentBasedDeduplication'])).toBe(false);
    });

    it.each(CONSUMERS)('moves a message of $queue to $dlq after five receives', ({ queue, dlq }) => {
      const source = getResource(template, queue);
      const target = getResource(template, dlq);

      expect(propertyAt(source, ['RedrivePolicy'])).toEqual({
        deadLetterTargetArn: arnOf(dlq),
        maxReceiveCount: 5,
      });
      expect(propertyAt(target, ['RedrivePolicy'])).toBeUndefined();
      // AWS advises a DLQ retention longer than its source's, so that a dead letter outlives the original.
      expect(numberAt(target, ['MessageRetentionPeriod'], SQS_DEFAULT_RETENTION_PERIOD)).toBeGreaterThan(
        numberAt(source, ['MessageRetentionPeriod'], SQS_DEFAULT_RETENTION_PERIOD),
      );
    });

    it('subscribes exactly the fulfillment and review queues to the order events topic', () => {
      const subscriptions = resourcesOfType(template, 'AWS::SNS::Subscription').map(
        ([logicalId, resource]) => ({
          logicalId,
          topic: describeReference(propertyAt(resource, ['TopicArn'])),
          protocol: propertyAt(resource, ['Protocol']),
          endpoint: propertyAt(resource, ['Endpoint']),
        }),
      );

      expect(subscriptions).toEqual(
        SUBSCRIPTIONS.map(({ subscription, queue }) => ({
          logicalId: subscription,
          topic: 'OrderEventsTopic',
          protocol: 'sqs',
          endpoint: arnOf(queue),
        })),
      );
    });

    it.each(SUBSCRIPTIONS)('sends $queue only $wanted', ({ subscription, filterPolicy }) => {
      const resource = getResource(template, subscription);

      // The attributes the publisher sets (eventType, total, …), not the message body.
      expect(propertyAt(resource, ['FilterPolicyScope'])).toBe('MessageAttributes');
      expect(propertyAt(resource, ['FilterPolicy'])).toEqual(filterPolicy);
    });

    it.each(SUBSCRIPTIONS)(
      'delivers to $queue raw, and what it cannot deliver to $dlq',
      ({ subscription, dlq }) => {
        const resource = getResource(template, subscription);

        // The SQS body is the event envelope itself, not an SNS notification around it.
        expect(propertyAt(resource, ['RawMessageDelivery'])).toBe(true);
        expect(propertyAt(resource, ['RedrivePolicy'])).toEqual({ deadLetterTargetArn: arnOf(dlq) });
      },
    );

    it('lets only the order events topic send to the queues it delivers to', () => {
      // Prepare
      const delivered = resourcesOfType(template, 'AWS::SNS::Subscription')
        .flatMap(([, subscription]) => [
          propertyAt(subscription, ['Endpoint']),
          propertyAt(subscription, ['RedrivePolicy', 'deadLetterTargetArn']),
        ])
        .map(describeReference)
        .sort();
      // The queue policies' Allows (their TLS-only Denies are the lockdown checker's, lockdown.test.ts).
      const allows = policyStatements(template).filter(
        ({ type, statement }) => type === 'AWS::SQS::QueuePolicy' && statement.Effect === 'Allow',
      );
      const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy').filter(([logicalId]) =>
        allows.some((allow) => allow.logicalId === logicalId),
      );

      // Act
      const policyQueues = policies.flatMap(([, policy]) => asList(propertyAt(policy, ['Queues'])));
      const statements = allows.map(({ statement }) => ({
        effect: statement.Effect,
        principal: statement.Principal,
        actions: asList(statement.Action),
        resources: asList(statement.Resource).map(describeReference).sort(),
        condition: statement.Condition,
      }));

      // Assess
      expect(delivered).toEqual(
        SUBSCRIPTIONS.flatMap(({ queue, dlq }) => [`${queue}.Arn`, `${dlq}.Arn`]).sort(),
      );
      expect(policyQueues.map((queue) => `${describeReference(queue)}.Arn`).sort()).toEqual(delivered);
      expect(statements).toEqual([
        {
          effect: 'Allow',
          principal: { Service: 'sns.amazonaws.com' },
          actions: ['sqs:SendMessage'],
          resources: delivered,
          condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'OrderEventsTopic' } } },
        },
      ]);
    });

    it('lets SNS (for the encrypted queues) and CloudWatch (for the alarms topic) use the key, for this account only', () => {
      const forServices = policyStatements(template)
        .filter(({ logicalId, statement }) => logicalId === KEY && statement.Effect === 'Allow')
        .map(({ statement }) => statement)
        .filter(({ Principal }) => isRecord(Principal) && Principal.Service !== undefined);

      expect(forServices).toEqual(
        ['sns.amazonaws.com', 'cloudwatch.amazonaws.com'].map((service) =>
          expect.objectContaining({
            Principal: { Service: service },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ),
      );
    });

    it('invokes only processOrder and reviewOrder from the queues, and the stream consumers from the stream', () => {
      const links = eventSourceMappings(template).map(({ source, target }) => `${source} → ${target}`);

      expect(links.sort()).toEqual(
        [
          ...CONSUMERS.map(({ consumer, queue }) => ({ consumer, source: queue })),
          ...STREAM_CONSUMERS.map((consumer) => ({ consumer, source: STREAM })),
          { consumer: 'importLegacyOrder', source: 'LegacyBroker' },
        ]
          .map(({ consumer, source }) => `${source} → ${lambdaFunction(template, 'dev', consumer)[0]}`)
          .sort(),
      );
    });

    it.each(CONSUMERS)(
      'hands $queue to $consumer in batches of 10 with partial batch responses',
      ({ queue }) => {
        const mappings = eventSourceMappings(template)
          .filter(({ source }) => source === queue)
          .map(({ mapping }) => ({
            batchSize: propertyAt(mapping, ['BatchSize']),
            responseTypes: propertyAt(mapping, ['FunctionResponseTypes']),
            enabled: propertyAt(mapping, ['Enabled']),
          }));

        expect(mappings).toEqual([
          { batchSize: 10, responseTypes: ['ReportBatchItemFailures'], enabled: true },
        ]);
      },
    );

    it.each(CONSUMERS)(
      'hides a message of $queue for at least six times the timeout of $consumer',
      ({ queue, consumer }) => {
        // Prepare
        const visibilityTimeout = numberAt(
          getResource(template, queue),
          ['VisibilityTimeout'],
          SQS_DEFAULT_VISIBILITY_TIMEOUT,
        );

        // Act: follow the template, queue → event source mapping → function → its timeout.
        const consumers = eventSourceMappings(template)
          .filter(({ source }) => source === queue)
          .map(({ target }) => target ?? '');
        const timeouts = consumers.map((logicalId) =>
          numberAt(getResource(template, logicalId), ['Timeout'], LAMBDA_DEFAULT_TIMEOUT),
        );

        // Assess
        expect(consumers).toEqual([lambdaFunction(template, 'dev', consumer)[0]]);
        for (const timeout of timeouts) {
          expect(visibilityTimeout, `timeout ${timeout}`).toBeGreaterThanOrEqual(6 * timeout);
        }
      },
    );

    it.each(CONSUMERS)(
      'has $consumer dead-letter permanent failures into the DLQ that $queue redrives to',
      ({ consumer }) => {
        // Prepare
        const [logicalId, lambda] = lambdaFunction(template, 'dev', consumer);

        // Act: follow the template, function → its queue → the queue's redrive target → its name.
        const dlqNames = eventSourceMappings(template)
          .filter(({ target }) => target === logicalId)
          .map(({ source }) => getResource(template, source ?? ''))
          .map((queue) => referencedLogicalId(propertyAt(queue, ['RedrivePolicy', 'deadLetterTargetArn'])))
          .map((dlq) => propertyAt(getResource(template, dlq ?? ''), ['QueueName']));

        // Assess
        expect([propertyAt(lambda, ['Environment', 'Variables', 'DEAD_LETTER_QUEUE_NAME'])]).toEqual(
          dlqNames,
        );
      },
    );

    it.each([
      {
        name: 'processOrder',
        variable: 'FULFILLMENT_PROGRESS_TABLE',
        resource: 'FulfillmentProgressTable',
        nameProperty: 'TableName',
      },
      {
        name: 'processOrder',
        variable: 'ACTIVITY_STREAM_NAME',
        resource: 'OrderActivityStream',
        nameProperty: 'Name',
      },
      { name: 'reviewOrder', variable: 'REVIEWS_TABLE', resource: 'ReviewsTable', nameProperty: 'TableName' },
      {
        name: 'aggregateAnalytics',
        variable: 'ANALYTICS_TABLE',
        resource: 'AnalyticsTable',
        nameProperty: 'TableName',
      },
    ] as const)(
      'tells $name the name of $resource in $variable',
      ({ name, variable, resource, nameProperty }) => {
        const [, lambda] = lambdaFunction(template, 'dev', name);
        const declared = propertyAt(getResource(template, resource), [nameProperty]);

        expect(declared).toEqual(expect.any(String));
        expect(propertyAt(lambda, ['Environment', 'Variables', variable])).toBe(declared);
      },
    );
  });

  describe('the activity stream and its consumers', () => {
    it('encrypts the activity stream with the orderflow KMS key', () => {
      const streams = resourcesOfType(template, 'AWS::Kinesis::Stream');

      expect(streams.map(([logicalId]) => logicalId)).toEqual([STREAM]);
      for (const [logicalId, stream] of streams) {
        expect(propertyAt(stream, ['StreamEncryption', 'EncryptionType']), logicalId).toBe('KMS');
        expect(referencedLogicalId(propertyAt(stream, ['StreamEncryption', 'KeyId'])), logicalId).toBe(KEY);
      }
    });

    it('gives each consumer of the activity stream a mapping of its own', () => {
      const mappings = eventSourceMappings(template).filter(({ source }) => source === STREAM);

      expect(mappings.map(({ target }) => target).sort()).toEqual(
        STREAM_CONSUMERS.map((name) => lambdaFunction(template, 'dev', name)[0]).sort(),
      );
      expect(new Set(mappings.map(({ logicalId }) => logicalId)).size).toBe(STREAM_CONSUMERS.length);
    });

    it.each(STREAM_CONSUMERS)(
      'reads the stream into %s 100 records at a time from the oldest, bisecting a failed batch, 3 retries within an hour',
      (name) => {
        const [logicalId] = lambdaFunction(template, 'dev', name);
        const mappings = eventSourceMappings(template).filter(({ target }) => target === logicalId);

        // The whole mapping: an option added or changed on one consumer only fails here.
        expect(mappings.map(({ mapping }) => mapping.Properties)).toEqual([
          { EventSourceArn: arnOf(STREAM), FunctionName: arnOf(logicalId), ...STREAM_MAPPING_OPTIONS },
        ]);
      },
    );

    it('sends the batches both stream consumers give up on to ActivityFailuresQueue', () => {
      const destinations = eventSourceMappings(template)
        .filter(({ source }) => source === STREAM)
        .map(({ onFailure }) => onFailure);

      expect(destinations).toEqual(STREAM_CONSUMERS.map(() => FAILURES_QUEUE));
      expect(getResource(template, FAILURES_QUEUE).Type).toBe('AWS::SQS::Queue');
    });

    it('makes ActivityFailuresQueue a standard queue named orderflow-dev-activity-failures', () => {
      const queue = getResource(template, FAILURES_QUEUE);

      // Lambda's on-failure destination for a stream takes a standard queue only; a batch's metadata needs no order.
      expect(propertyAt(queue, ['FifoQueue']) ?? false).toBe(false);
      expect(propertyAt(queue, ['ContentBasedDeduplication'])).toBeUndefined();
      expect(propertyAt(queue, ['QueueName'])).toBe('orderflow-dev-activity-failures');
      expect(propertyAt(queue, ['QueueName'])).not.toMatch(/\.fifo$/);
    });

    it('encrypts ActivityFailuresQueue with the orderflow KMS key', () => {
      const keyReference = propertyAt(getResource(template, FAILURES_QUEUE), ['KmsMasterKeyId']);

      expect(referencedLogicalId(keyReference)).toBe(KEY);
    });

    it('keeps a failed batch in ActivityFailuresQueue for 14 days, the longest SQS allows', () => {
      const queue = getResource(template, FAILURES_QUEUE);

      expect(numberAt(queue, ['MessageRetentionPeriod'], SQS_DEFAULT_RETENTION_PERIOD)).toBe(
        SQS_MAX_RETENTION_PERIOD,
      );
    });

    it.each(STREAM_CONSUMERS)(
      'lets %s send to its on-failure destination and use the keys of the stream and the destination',
      (name) => {
        // Prepare
        const [logicalId] = lambdaFunction(template, 'dev', name);

        // Act: follow the template, function → its mapping → the stream and the destination → their keys.
        const [link] = eventSourceMappings(template).filter(({ target }) => target === logicalId);
        const destination = getResource(template, link?.onFailure ?? '');
        const keys = new Set([
          referencedLogicalId(propertyAt(destination, ['KmsMasterKeyId'])),
          referencedLogicalId(
            propertyAt(getResource(template, link?.source ?? ''), ['StreamEncryption', 'KeyId']),
          ),
        ]);
        const grants = grantsOf(functionStatements(template, 'dev', name));

        // Assess
        expect(grants).toContain(`sqs:SendMessage on ${link?.onFailure}.Arn`);
        expect([...keys]).toEqual([KEY]);
        expect(grants).toEqual(
          expect.arrayContaining([`kms:Decrypt on ${KEY}.Arn`, `kms:GenerateDataKey on ${KEY}.Arn`]),
        );
      },
    );

    it('keys AnalyticsTable by the string pk', () => {
      const table = getResource(template, 'AnalyticsTable');

      expect(propertyAt(table, ['KeySchema'])).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(propertyAt(table, ['AttributeDefinitions'])).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
      ]);
    });
  });

  /** `<FunctionLogicalId>.Arn` for the named function of this template. */
  function isFunction(target: string, name: FunctionName): boolean {
    return target === `${lambdaFunction(template, 'dev', name)[0]}.Arn`;
  }

  /** The statements of the identity policies of this template (roles, IAM and managed policies), not trust policies. */
  function identityStatements(): LocatedStatement[] {
    const identity = new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
    return policyStatements(template).filter(
      ({ type, document }) => identity.has(type) && document !== 'AssumeRolePolicyDocument',
    );
  }
});

describe('the local stage template', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate('local');
  });

  it('validates against the CloudFormation resource specification', () => {
    const problems = validateTemplate(template, spec);

    expect(problems, formatProblems(problems)).toEqual([]);
  });

  it('gives every function plain-string environment variables, so invoke local needs no AWS', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const notStrings = functions.flatMap(([logicalId, lambda]) => {
      const variables = propertyAt(lambda, ['Environment', 'Variables']);
      return Object.entries(isRecord(variables) ? variables : {})
        .filter(([, value]) => typeof value !== 'string')
        .map(([key, value]) => `${logicalId} ${key}: ${JSON.stringify(value)}`);
    });

    expect(functions.map(([, lambda]) => propertyAt(lambda, ['FunctionName'])).sort()).toEqual(
      FUNCTIONS.map((name) => `orderflow-local-${name}`).sort(),
    );
    expect(notStrings).toEqual([]);
  });

  it('points every function at the local cloud and the local topic by a plain ARN', () => {
    const topicName = propertyAt(getResource(template, 'OrderEventsTopic'), ['TopicName']);

    expect(topicName).toBe('orderflow-local-order-events.fifo');
    for (const name of FUNCTIONS) {
      const [, lambda] = lambdaFunction(template, 'local', name);

      expect(propertyAt(lambda, ['Environment', 'Variables']), name).toMatchObject({
        ORDER_EVENTS_TOPIC_ARN: `arn:aws:sns:eu-west-1:000000000000:${String(topicName)}`,
        ORDERS_TABLE: 'orderflow-local-orders',
        IDEMPOTENCY_TABLE: 'orderflow-local-idempotency',
        AWS_ENDPOINT_URL_DYNAMODB: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_ENDPOINT_URL_SNS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_ENDPOINT_URL_SQS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_ENDPOINT_URL_KINESIS: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        AWS_ENDPOINT_URL_IOT_DATA_PLANE: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      });
    }
  });

  it('gives no function credentials or a credentials file: they sign with what the local cloud or invoke local exports', () => {
    for (const name of FUNCTIONS) {
      const variables = Object.keys(
        propertyAt(lambdaFunction(template, 'local', name)[1], ['Environment', 'Variables']) as object,
      );

      expect(
        variables.filter((variable) => CREDENTIAL_VARIABLE.test(variable)),
        name,
      ).toEqual([]);
    }
  });
});

/** The statement serverless writes so a function can log: every action is a CloudWatch Logs one. */
function isLogsStatement(statement: Record<string, unknown>): boolean {
  const actions = asList(statement.Action);
  return actions.length > 0 && actions.every((action) => String(action).startsWith('logs:'));
}

/**
 * The statement serverless writes for an event source: nothing but the polling actions of SQS, or nothing but the
 * reading actions of Kinesis.
 */
function isEventSourceStatement(statement: Record<string, unknown>): boolean {
  const actions = asList(statement.Action).map(String);
  return (
    actions.length > 0 &&
    [POLLING_ACTIONS, STREAM_READING_ACTIONS].some((allowed) =>
      actions.every((action) => allowed.includes(action)),
    )
  );
}

/** The integration a route targets: `{ "Fn::Join": ["/", ["integrations", { Ref: integration }]] }`. */
function integrationOf(target: unknown): string | undefined {
  const join = isRecord(target) ? target['Fn::Join'] : undefined;
  if (!Array.isArray(join) || join[0] !== '/' || !Array.isArray(join[1]) || join[1][0] !== 'integrations') {
    return undefined;
  }
  return describeReference(join[1][1]);
}

/** Sets a property of a resource in a copy of the template; the path may go through lists by index. */
function setProperty(
  template: CfnTemplate,
  logicalId: string,
  path: readonly string[],
  value: unknown,
): void {
  const [parent, key] = parentOf(template, logicalId, path);
  Reflect.set(parent, key, value);
}

function deleteProperty(template: CfnTemplate, logicalId: string, path: readonly string[]): void {
  const [parent, key] = parentOf(template, logicalId, path);
  Reflect.deleteProperty(parent, key);
}

function parentOf(template: CfnTemplate, logicalId: string, path: readonly string[]): [object, string] {
  const resource = getResource(template, logicalId);
  resource.Properties ??= {};
  let parent: unknown = resource.Properties;
  for (const step of path.slice(0, -1)) {
    parent = typeof parent === 'object' && parent !== null ? Reflect.get(parent, step) : undefined;
  }
  const key = path.at(-1);
  if (key === undefined || typeof parent !== 'object' || parent === null) {
    throw new Error(`${logicalId} has no property ${path.join('.')}`);
  }
  return [parent, key];
}
