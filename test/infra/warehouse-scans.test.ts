import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateTopicRule, parseTopicRuleSql } from '../../local/iot/iot-sql.js';
import type { CfnTemplate } from './cfn-spec.js';
import { packagedTemplate } from './package-template.js';
import { getResource, propertyAt, resourcesOfType, roleStatements } from './template-queries.js';

/**
 * The IoT rules engine's part of the stack: the topic rule that feeds warehouse scans to recordScan, its permission
 * to invoke it, its error action and that action's role, and recordScan's asynchronous invocation settings. (Its
 * exact IAM is in template.test.ts.)
 */

const RULE_SQL =
  "SELECT *, topic(2) AS siteId, clientid() AS deviceId, timestamp() AS receivedAt FROM 'warehouse/+/scans' WHERE kind = 'shipped' OR kind = 'delivered'";

describe.each(['dev', 'local'] as const)('the warehouse scans in the %s stage template', (stage) => {
  let template: CfnTemplate;

  beforeAll(async () => {
    template = await packagedTemplate(stage);
  });

  it('routes scans of a known kind to recordScan with SQL version 2016-03-23, and its failures to scan-failures', () => {
    const rule = getResource(template, 'WarehouseScansRule');

    expect(resourcesOfType(template, 'AWS::IoT::TopicRule')).toHaveLength(1);
    expect(rule.Properties).toEqual({
      RuleName: `orderflow_${stage}_warehouse_scans`,
      TopicRulePayload: {
        AwsIotSqlVersion: '2016-03-23',
        Sql: RULE_SQL,
        RuleDisabled: false,
        Actions: [{ Lambda: { FunctionArn: { 'Fn::GetAtt': ['RecordScanLambdaFunction', 'Arn'] } } }],
        ErrorAction: {
          Sqs: {
            QueueUrl: { Ref: 'ScanFailuresQueue' },
            RoleArn: { 'Fn::GetAtt': ['WarehouseScansRuleRole', 'Arn'] },
            UseBase64: false,
          },
        },
      },
    });
  });

  it('lets IoT invoke recordScan for this rule only', () => {
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(
      ([, permission]) => propertyAt(permission, ['Principal']) === 'iot.amazonaws.com',
    );

    expect(permissions.map(([, permission]) => permission.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': ['RecordScanLambdaFunction', 'Arn'] },
        Principal: 'iot.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['WarehouseScansRule', 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      },
    ]);
  });

  it('gives the error action a role IoT assumes, that may only send to scan-failures with the key', () => {
    const role = getResource(template, 'WarehouseScansRuleRole');

    expect(propertyAt(role, ['AssumeRolePolicyDocument', 'Statement'])).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'iot.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(roleStatements(template, 'WarehouseScansRuleRole')).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: { 'Fn::GetAtt': ['ScanFailuresQueue', 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: { 'Fn::GetAtt': ['OrderflowKey', 'Arn'] },
      },
    ]);
  });

  it('retries a failed scan twice within an hour, then keeps it in scan-failures', () => {
    const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(
      ([, config]) => config.Properties,
    );

    expect(configs).toEqual([
      expect.objectContaining({
        FunctionName: { Ref: 'RecordScanLambdaFunction' },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ScanFailuresQueue', 'Arn'] } } },
      }),
    ]);
  });

  it('declares a rule the local rules engine evaluates as IoT does for a scan, and ignores another kind', () => {
    const query = parseTopicRuleSql(
      String(propertyAt(getResource(template, 'WarehouseScansRule'), ['TopicRulePayload', 'Sql'])),
    );
    const scan = { scanId: 's-1', orderId: 'o-1', kind: 'shipped', at: '2026-12-03T10:00:00Z' };

    const fired = evaluateTopicRule(
      query,
      { topic: 'warehouse/w1/scans', payload: JSON.stringify(scan), clientId: 'scanner-w1' },
      { now: () => 1_000 },
    );
    const ignored = evaluateTopicRule(query, {
      topic: 'warehouse/w1/scans',
      payload: JSON.stringify({ ...scan, kind: 'lost' }),
    });

    expect(fired).toEqual({ ...scan, siteId: 'w1', deviceId: 'scanner-w1', receivedAt: 1_000 });
    expect(ignored).toBeUndefined();
  });
});
