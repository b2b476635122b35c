import { beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from './cfn-spec.js';
import { lockdownViolations } from './lockdown.js';
import { packagedTemplate } from './package-template.js';
import { getResource, isRecord, resourcesOfType } from './template-queries.js';

/** The first statement of a function's role (after its logs statement): where a mutation puts a wildcard. */
const ROLE = 'ProcessOrderIamRoleLambdaExecution';

interface Mutation {
  mutation: string;
  make: (copy: CfnTemplate) => void;
  /** A part of the one violation the checker must name. */
  expected: string;
}

describe.each(['dev', 'local'] as const)('the %s stage template, locked down', (stage) => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate(stage);
  });

  it('has no lockdown violation', () => {
    expect(lockdownViolations(template)).toEqual([]);
  });

  it('covers every queue, topic, key, stream and table it checks', () => {
    const counts = [
      'AWS::SQS::Queue',
      'AWS::SNS::Topic',
      'AWS::KMS::Key',
      'AWS::Kinesis::Stream',
      'AWS::DynamoDB::Table',
      'AWS::SQS::QueuePolicy',
      'AWS::SNS::TopicPolicy',
      'AWS::ApiGatewayV2::Route',
      'AWS::ApiGatewayV2::Authorizer',
      'AWS::ApiGatewayV2::Stage',
      'AWS::Logs::LogGroup',
    ].map((type) => [type, resourcesOfType(template, type).length]);

    expect(Object.fromEntries(counts)).toEqual({
      'AWS::SQS::Queue': 8,
      'AWS::SNS::Topic': 2,
      'AWS::KMS::Key': 1,
      'AWS::Kinesis::Stream': 1,
      'AWS::DynamoDB::Table': 7,
      'AWS::SQS::QueuePolicy': 2,
      'AWS::SNS::TopicPolicy': 2,
      'AWS::ApiGatewayV2::Route': 4,
      'AWS::ApiGatewayV2::Authorizer': 1,
      'AWS::ApiGatewayV2::Stage': 1,
      'AWS::Logs::LogGroup': 14,
    });
  });
});

describe('the lockdown checker', () => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate('dev');
  });

  it.each<Mutation>([
    {
      mutation: 'sqs:* in a function role',
      make: (copy) => roleStatements(copy, ROLE).push({ Effect: 'Allow', Action: ['sqs:*'], Resource: 'x' }),
      expected: 'wildcard action "sqs:*"',
    },
    {
      mutation: 'the action "*" in a function role',
      make: (copy) => roleStatements(copy, ROLE).push({ Effect: 'Allow', Action: '*', Resource: 'x' }),
      expected: 'wildcard action "*"',
    },
    {
      mutation: 'a wildcard action in the key policy',
      make: (copy) => {
        keyStatements(copy)[1] = {
          ...keyStatements(copy)[1],
          Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        };
      },
      expected: 'OrderflowKey KeyPolicy.Statement[1]: wildcard action "kms:GenerateDataKey*"',
    },
    {
      mutation: 'Resource "*" for an action with resource-level permissions',
      make: (copy) =>
        roleStatements(copy, ROLE).push({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' }),
      expected: 'Resource "*" for ["sqs:SendMessage"]',
    },
    {
      mutation: 'a table without SSESpecification',
      make: (copy) => deleteProperty(copy, 'OrdersTable', 'SSESpecification'),
      expected: 'OrdersTable: table not encrypted',
    },
    {
      mutation: "a table with DynamoDB's AWS-owned key",
      make: (copy) => setProperty(copy, 'ParkingTable', 'SSESpecification', { SSEEnabled: true }),
      expected: 'ParkingTable: table not encrypted',
    },
    {
      mutation: 'a table with the AWS managed key',
      make: (copy) =>
        setProperty(copy, 'ReviewsTable', 'SSESpecification', {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: 'alias/aws/dynamodb',
        }),
      expected:
        "ReviewsTable: table not encrypted with the stack's key (SSESpecification.KMSMasterKeyId is alias/aws/dynamodb)",
    },
    {
      mutation: 'a queue without a key',
      make: (copy) => deleteProperty(copy, 'FulfillmentDlq', 'KmsMasterKeyId'),
      expected: 'FulfillmentDlq: queue not encrypted',
    },
    {
      mutation: 'a queue with SQS-managed SSE instead of the key',
      make: (copy) => {
        deleteProperty(copy, 'ActivityFailuresQueue', 'KmsMasterKeyId');
        setProperty(copy, 'ActivityFailuresQueue', 'SqsManagedSseEnabled', true);
      },
      expected: 'ActivityFailuresQueue: queue not encrypted',
    },
    {
      mutation: 'a topic with the AWS managed key',
      make: (copy) => setProperty(copy, 'OrderEventsTopic', 'KmsMasterKeyId', 'alias/aws/sns'),
      expected: 'OrderEventsTopic: topic not encrypted',
    },
    {
      mutation: 'a stream without StreamEncryption',
      make: (copy) => deleteProperty(copy, 'OrderActivityStream', 'StreamEncryption'),
      expected: 'OrderActivityStream: stream not encrypted',
    },
    {
      mutation: 'a stream with the AWS managed key',
      make: (copy) =>
        setProperty(copy, 'OrderActivityStream', 'StreamEncryption', {
          EncryptionType: 'KMS',
          KeyId: 'alias/aws/kinesis',
        }),
      expected: 'OrderActivityStream: stream not encrypted',
    },
    {
      mutation: 'a queue policy without its TLS-only Deny',
      make: (copy) => {
        const statements = policyDocumentStatements(copy, 'OtherQueuesPolicy', 'PolicyDocument');
        statements.splice(0, statements.length, { ...statements[0], Condition: undefined });
      },
      expected: 'FulfillmentDlq: queue policy OtherQueuesPolicy denies no request without TLS',
    },
    {
      mutation: 'a queue policy whose Deny is on TLS (true) instead of plain HTTP',
      make: (copy) => {
        const [deny] = policyDocumentStatements(copy, 'OrderEventsQueuesPolicy', 'PolicyDocument').filter(
          (statement) => statement.Effect === 'Deny',
        );
        if (deny !== undefined) deny.Condition = { Bool: { 'aws:SecureTransport': 'true' } };
      },
      expected: 'FulfillmentQueue: queue policy OrderEventsQueuesPolicy denies no request without TLS',
    },
    {
      mutation: 'a queue left out of every queue policy',
      make: (copy) => {
        const queues = getResource(copy, 'OtherQueuesPolicy').Properties?.Queues;
        if (Array.isArray(queues)) queues.pop();
      },
      expected: 'ScanFailuresQueue: queue under no AWS::SQS::QueuePolicy',
    },
    {
      mutation: 'a topic without a topic policy',
      make: (copy) => {
        delete copy.Resources.OrderEventsTopicPolicy;
      },
      expected: 'OrderEventsTopic: topic under no AWS::SNS::TopicPolicy',
    },
    {
      mutation: 'a topic policy whose Deny is for one principal only',
      make: (copy) => {
        const [deny] = policyDocumentStatements(copy, 'OrderEventsTopicPolicy', 'PolicyDocument');
        if (deny !== undefined) deny.Principal = { AWS: 'arn:aws:iam::123456789012:root' };
      },
      expected: 'OrderEventsTopic: topic policy OrderEventsTopicPolicy denies no request without TLS',
    },
    {
      mutation: 'a key policy without its TLS-only Deny',
      make: (copy) => {
        const statements = keyStatements(copy);
        statements.splice(
          0,
          statements.length,
          ...statements.filter((statement) => statement.Effect !== 'Deny'),
        );
      },
      expected: 'OrderflowKey: key policy denies no request without TLS',
    },
    {
      mutation: 'a route without the authorizer',
      make: (copy) => {
        const route = getResource(copy, 'HttpApiRoutePostOrdersOrderidVarPay');
        route.Properties = { ...route.Properties, AuthorizationType: 'NONE' };
        delete route.Properties.AuthorizerId;
      },
      expected:
        'HttpApiRoutePostOrdersOrderidVarPay (POST /orders/{orderId}/pay): route not behind a JWT authorizer',
    },
    {
      mutation: 'a route whose authorizer is not in the template',
      make: (copy) => setProperty(copy, 'HttpApiRouteGetOrdersOrderidVar', 'AuthorizerId', 'abc123'),
      expected:
        'HttpApiRouteGetOrdersOrderidVar (GET /orders/{orderId}): AuthorizerId names no JWT authorizer',
    },
    {
      mutation: 'a JWT authorizer without an audience',
      make: (copy) =>
        setProperty(copy, 'HttpApiAuthorizerCustomerJwt', 'JwtConfiguration', {
          Issuer: 'https://issuer.example/',
          Audience: [],
        }),
      expected: 'HttpApiAuthorizerCustomerJwt: JWT authorizer without an audience',
    },
    {
      mutation: 'an HTTP API stage without access logging',
      make: (copy) => deleteProperty(copy, 'HttpApiStage', 'AccessLogSettings'),
      expected: 'HttpApiStage: HTTP API stage without access logging',
    },
    {
      mutation: 'a log group without retention',
      make: (copy) => deleteProperty(copy, 'GetOrderLogGroup', 'RetentionInDays'),
      expected: 'GetOrderLogGroup: log group without RetentionInDays',
    },
  ])('names $mutation', ({ make, expected }) => {
    const copy = structuredClone(template);

    make(copy);
    const violations = lockdownViolations(copy);

    expect(
      violations.some((violation) => violation.includes(expected)),
      violations.join('\n'),
    ).toBe(true);
    expect(lockdownViolations(template)).toEqual([]);
  });
});

type Statement = Record<string, unknown>;

function policyDocumentStatements(template: CfnTemplate, logicalId: string, property: string): Statement[] {
  const document = getResource(template, logicalId).Properties?.[property];
  const statements = isRecord(document) ? document.Statement : undefined;
  if (!Array.isArray(statements)) throw new Error(`${logicalId} has no ${property}.Statement list`);
  return statements as Statement[];
}

function keyStatements(template: CfnTemplate): Statement[] {
  return policyDocumentStatements(template, 'OrderflowKey', 'KeyPolicy');
}

/** The statements of a role's first inline policy. */
function roleStatements(template: CfnTemplate, logicalId: string): Statement[] {
  const [policy] = (getResource(template, logicalId).Properties?.Policies ?? []) as unknown[];
  const document = isRecord(policy) ? policy.PolicyDocument : undefined;
  const statements = isRecord(document) ? document.Statement : undefined;
  if (!Array.isArray(statements)) throw new Error(`${logicalId} has no inline policy`);
  return statements as Statement[];
}

function setProperty(template: CfnTemplate, logicalId: string, property: string, value: unknown): void {
  const resource = getResource(template, logicalId);
  resource.Properties = { ...resource.Properties, [property]: value };
}

function deleteProperty(template: CfnTemplate, logicalId: string, property: string): void {
  delete getResource(template, logicalId).Properties?.[property];
}
