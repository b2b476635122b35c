import {
  CreateQueueCommand,
  type CreateQueueCommandInput,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { StackTemplate } from '../../../local/template/packaged-stack.js';
import { provisionStack } from '../../../local/template/provision.js';
import type { ProvisioningClients } from '../../../local/template/provisioners/resource-scope.js';

/**
 * The warehouse scans' rule as the local cloud reads it from a template: its SQL parsed at provisioning (what the
 * local rules engine cannot evaluate stops the start, naming the property), its actions and error action, and
 * recordScan's EventInvokeConfig. No emulator: the one queue is created through a mocked SQS client that answers as
 * fauxqs does.
 */

const REGION = 'eu-west-1';
const ACCOUNT = '000000000000';
const QUEUE_ENDPOINT = `http://127.0.0.1:4566/${ACCOUNT}`;
const FAILURES_QUEUE = 'orderflow-test-scan-failures';
const FAILURES_QUEUE_URL = `${QUEUE_ENDPOINT}/${FAILURES_QUEUE}`;
const FAILURES_QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:${FAILURES_QUEUE}`;
const FUNCTION = 'orderflow-test-recordScan';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`;
const SCANS_SQL =
  "SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM 'warehouse/+/scans' " +
  "WHERE kind = 'shipped' OR kind = 'delivered'";

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: REGION });
const CLIENTS = { sqs } as unknown as ProvisioningClients;

type Properties = Record<string, unknown>;

/** The rule, its function, the failure queue and the function's asynchronous configuration, as serverless packages them. */
function scansTemplate(
  payload: Properties = {},
  invokeConfig: Properties = {},
  resources: StackTemplate['Resources'] = {},
): StackTemplate {
  return {
    Resources: {
      ScanFailuresQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: { QueueName: FAILURES_QUEUE, MessageRetentionPeriod: 1_209_600 },
      },
      RecordScanLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: FUNCTION,
          Handler: 'functions/record-scan.handler',
          Code: { S3Bucket: 'deployment-bucket', S3Key: 'serverless/orderflow/test/recordScan.zip' },
        },
      },
      WarehouseScansRule: {
        Type: 'AWS::IoT::TopicRule',
        Properties: {
          RuleName: 'orderflow_test_warehouse_scans',
          TopicRulePayload: {
            AwsIotSqlVersion: '2016-03-23',
            Sql: SCANS_SQL,
            RuleDisabled: false,
            Actions: [{ Lambda: { FunctionArn: { 'Fn::GetAtt': ['RecordScanLambdaFunction', 'Arn'] } } }],
            ErrorAction: {
              Sqs: {
                QueueUrl: { Ref: 'ScanFailuresQueue' },
                RoleArn: `arn:aws:iam::${ACCOUNT}:role/orderflow-test-warehouse-scans-rule`,
                UseBase64: false,
              },
            },
            ...payload,
          },
        },
      },
      RecordScanEventInvokeConfig: {
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: 'RecordScanLambdaFunction' },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 3600,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ScanFailuresQueue', 'Arn'] } } },
          ...invokeConfig,
        },
      },
      ...resources,
    },
  } as StackTemplate;
}

const provision = (template: StackTemplate) =>
  provisionStack(template, { clients: CLIENTS, region: REGION, stackName: 'orderflow-test' });

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(CreateQueueCommand).callsFake((input: CreateQueueCommandInput) => ({
    QueueUrl: `${QUEUE_ENDPOINT}/${input.QueueName}`,
  }));
  sqsMock.on(GetQueueAttributesCommand).callsFake(({ QueueUrl }: { QueueUrl: string }) => ({
    Attributes: { QueueArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QueueUrl.split('/').at(-1)}` },
  }));
  sqsMock.on(GetQueueUrlCommand).rejects(new Error('The specified queue does not exist.'));
});

afterAll(() => {
  sqsMock.restore();
  sqs.destroy();
});

describe('provisioning an IoT topic rule locally', () => {
  it('reads the orderflow rule: its SQL, the Lambda action, the SQS error action at the queue’s URL, enabled', async () => {
    // Act
    const stack = await provision(scansTemplate());

    // Assess
    expect(stack.topicRules).toEqual([
      {
        logicalId: 'WarehouseScansRule',
        name: 'orderflow_test_warehouse_scans',
        arn: `arn:aws:iot:${REGION}:${ACCOUNT}:rule/orderflow_test_warehouse_scans`,
        sql: SCANS_SQL,
        enabled: true,
        actions: [{ kind: 'lambda', functionName: FUNCTION, functionArn: FUNCTION_ARN }],
        errorAction: { kind: 'sqs', queueUrl: FAILURES_QUEUE_URL, useBase64: false },
      },
    ]);
    expect(stack.resources.WarehouseScansRule?.attributes.Arn).toBe(stack.topicRules[0]?.arn);
    expect(stack.warnings).toEqual([]);
  });

  it.each<[name: string, disabled: unknown, enabled: boolean]>([
    ['RuleDisabled true', true, false],
    ['RuleDisabled "true"', 'true', false],
    ['no RuleDisabled', undefined, true],
  ])('reads a rule with %s as enabled: %s', async (_, disabled, enabled) => {
    // Act
    const stack = await provision(scansTemplate({ RuleDisabled: disabled }));

    // Assess
    expect(stack.topicRules.map((rule) => rule.enabled)).toEqual([enabled]);
  });

  it('reads an SQS action with UseBase64, and names an action the local cloud does not perform in a warning', async () => {
    // Act
    const stack = await provision(
      scansTemplate({
        Actions: [
          {
            Sqs: {
              QueueUrl: { Ref: 'ScanFailuresQueue' },
              RoleArn: 'arn:aws:iam::0:role/r',
              UseBase64: true,
            },
          },
          { Kinesis: { StreamName: 'scans', RoleArn: 'arn:aws:iam::0:role/r' } },
        ],
      }),
    );

    // Assess
    expect(stack.topicRules[0]?.actions).toEqual([
      { kind: 'sqs', queueUrl: FAILURES_QUEUE_URL, useBase64: true },
    ]);
    expect(stack.warnings).toEqual([
      'local cloud: not provided locally: topic rule action Kinesis (WarehouseScansRule)',
    ]);
  });

  it('fails the provisioning on SQL the local rules engine cannot evaluate, naming TopicRulePayload.Sql', async () => {
    // Act
    const provisioning = provision(scansTemplate({ Sql: "SELECT upper(kind) AS k FROM 'a'" }));

    // Assess
    await expect(provisioning).rejects.toThrow(
      /cannot provision WarehouseScansRule \(AWS::IoT::TopicRule\): WarehouseScansRule\.Properties\.TopicRulePayload\.Sql: .*upper/,
    );
  });

  it.each<[name: string, version: unknown, got: string]>([
    ['SQL version 2015-10-08', '2015-10-08', '2015-10-08'],
    ['no SQL version (IoT’s default, 2015-10-08)', undefined, '2015-10-08'],
    ['the beta SQL version', 'beta', 'beta'],
  ])('fails the provisioning of a rule with %s, naming AwsIotSqlVersion', async (_, version, got) => {
    // Act
    const provisioning = provision(scansTemplate({ AwsIotSqlVersion: version }));

    // Assess
    await expect(provisioning).rejects.toThrow(
      `WarehouseScansRule.Properties.TopicRulePayload.AwsIotSqlVersion: the local rules engine evaluates SQL version 2016-03-23 only (got ${got})`,
    );
  });

  it('reads the EventInvokeConfig: its retries, maximum age, and the on-failure queue resolved by ARN', async () => {
    // Act
    const stack = await provision(scansTemplate());

    // Assess
    expect(stack.asyncInvokeConfigs).toEqual([
      {
        functionName: FUNCTION,
        maximumRetryAttempts: 2,
        maximumEventAgeSeconds: 3600,
        onFailure: { type: 'sqs', arn: FAILURES_QUEUE_ARN, queueUrl: FAILURES_QUEUE_URL },
      },
    ]);
    expect(sqsMock).toHaveReceivedCommandTimes(GetQueueUrlCommand, 0);
  });

  it('gives an EventInvokeConfig without retries or age Lambda’s defaults, and no on-failure destination', async () => {
    // Act
    const stack = await provision(
      scansTemplate(
        {},
        {
          MaximumRetryAttempts: undefined,
          MaximumEventAgeInSeconds: undefined,
          DestinationConfig: undefined,
        },
      ),
    );

    // Assess
    expect(stack.asyncInvokeConfigs).toEqual([
      { functionName: FUNCTION, maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 },
    ]);
  });

  it('reads maximumRetryAttempts 0 as no retry, and an SNS on-failure destination by its ARN', async () => {
    // Prepare
    const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:orderflow-test-scan-alerts`;

    // Act
    const stack = await provision(
      scansTemplate(
        {},
        { MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: topicArn } } },
      ),
    );

    // Assess
    expect(stack.asyncInvokeConfigs).toEqual([
      {
        functionName: FUNCTION,
        maximumRetryAttempts: 0,
        maximumEventAgeSeconds: 3600,
        onFailure: { type: 'sns', arn: topicArn },
      },
    ]);
  });
});
