// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings are written with ${...}
import { describe, expect, it } from 'vitest';
import type { ResolutionContext } from '../../../local/template/intrinsics.js';
import {
  listDependencies,
  resolveString,
  resolveValue,
  TemplateResolutionError,
} from '../../../local/template/intrinsics.js';

const QUEUE_URL = 'http://sqs.eu-west-1.localhost:4566/000000000000/orders.fifo';
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:000000000000:orders.fifo';
const PATH = 'Fn.Properties.Value';

const context: ResolutionContext = {
  region: 'eu-west-1',
  accountId: '000000000000',
  stackName: 'orderflow-test',
  resources: {
    Queue: {
      type: 'AWS::SQS::Queue',
      ref: QUEUE_URL,
      attributes: { Arn: QUEUE_ARN, QueueName: 'orders.fifo' },
    },
    Table: {
      type: 'AWS::DynamoDB::Table',
      ref: 'orders',
      attributes: { Arn: 'arn:aws:dynamodb:::table/orders' },
    },
    Database: { type: 'AWS::RDS::DBCluster', ref: 'db', attributes: { 'Endpoint.Address': 'db.local' } },
  },
  parameters: { Stage: 'test', AttributeName: 'Arn' },
};

describe('resolveValue', () => {
  it('gives Fn::GetAZs three zones of the region, for Fn::Select', () => {
    // Act
    const zone = resolveValue({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] }, context, PATH);

    // Assess
    expect(zone).toBe(`${context.region}b`);
  });

  it.each([
    ['a Ref to a resource as its ref', { Ref: 'Queue' }, QUEUE_URL],
    ['a Ref to a parameter as its value', { Ref: 'Stage' }, 'test'],
    ['AWS::Region', { Ref: 'AWS::Region' }, 'eu-west-1'],
    ['AWS::AccountId', { Ref: 'AWS::AccountId' }, '000000000000'],
    ['AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['AWS::StackName', { Ref: 'AWS::StackName' }, 'orderflow-test'],
    [
      'AWS::StackId',
      { Ref: 'AWS::StackId' },
      'arn:aws:cloudformation:eu-west-1:000000000000:stack/orderflow-test/00000000-0000-0000-0000-000000000000',
    ],
    ['AWS::URLSuffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    ['Fn::GetAtt as a list', { 'Fn::GetAtt': ['Queue', 'Arn'] }, QUEUE_ARN],
    ['Fn::GetAtt as a dotted string', { 'Fn::GetAtt': 'Queue.QueueName' }, 'orders.fifo'],
    ['Fn::GetAtt of an attribute with a dot', { 'Fn::GetAtt': 'Database.Endpoint.Address' }, 'db.local'],
    [
      'Fn::GetAtt with a Ref for the attribute',
      { 'Fn::GetAtt': ['Queue', { Ref: 'AttributeName' }] },
      QUEUE_ARN,
    ],
    [
      'Fn::Join of strings, numbers and intrinsics',
      { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 5, { 'Fn::GetAtt': ['Queue', 'QueueName'] }]] },
      'arn:aws:5:orders.fifo',
    ],
    [
      'Fn::Sub with pseudo parameters, refs and attributes',
      { 'Fn::Sub': '${AWS::Region}/${Table}/${Queue.Arn}' },
      `eu-west-1/orders/${QUEUE_ARN}`,
    ],
    ['Fn::Sub with a ${!Literal}', { 'Fn::Sub': '${!Literal} and ${Stage}' }, '${Literal} and test'],
    [
      'Fn::Sub with variables, which win over resources',
      { 'Fn::Sub': ['${Table}-${Suffix}', { Table: 'shadowed', Suffix: { Ref: 'AWS::AccountId' } }] },
      'shadowed-000000000000',
    ],
    ['Fn::Select of Fn::Split', { 'Fn::Select': ['1', { 'Fn::Split': [',', 'a,b,c'] }] }, 'b'],
    ['plain values as they are', { Nested: [1, true, 'text', null] }, { Nested: [1, true, 'text', null] }],
    [
      'AWS::NoValue by removing the property or element',
      { Kept: { Ref: 'Table' }, Dropped: { Ref: 'AWS::NoValue' }, List: ['a', { Ref: 'AWS::NoValue' }] },
      { Kept: 'orders', List: ['a'] },
    ],
    ['AWS::NoValue alone as undefined', { Ref: 'AWS::NoValue' }, undefined],
  ])('resolves %s', (_case, value, expected) => {
    // Act
    const resolved = resolveValue(value, context, PATH);

    // Assess
    expect(resolved).toEqual(expected);
  });

  it.each([
    [
      'a Ref to no resource',
      { Ref: 'Missing' },
      'Ref Missing: no resource or parameter Missing is provisioned',
    ],
    [
      'an attribute the resource does not have',
      { 'Fn::GetAtt': ['Queue', 'Nope'] },
      'Fn::GetAtt Queue.Nope: Queue (AWS::SQS::Queue) has no attribute Nope locally (it has: Arn, QueueName)',
    ],
    [
      'an attribute of no resource inside Fn::Sub',
      { 'Fn::Sub': '${Missing.Arn}' },
      'Fn::GetAtt Missing.Arn: no resource or parameter Missing is provisioned',
    ],
    ['an unknown pseudo parameter', { Ref: 'AWS::Nope' }, 'unknown pseudo parameter AWS::Nope'],
    ['Fn::If', { 'Fn::If': ['IsProd', 'a', 'b'] }, 'Fn::If is not supported by the local cloud'],
    ['Fn::ImportValue', { 'Fn::ImportValue': 'x' }, 'Fn::ImportValue is not supported by the local cloud'],
    ['a malformed Fn::Join', { 'Fn::Join': ['-'] }, 'Fn::Join takes [delimiter, [values]]'],
    ['a malformed Fn::GetAtt', { 'Fn::GetAtt': 'Queue' }, 'Fn::GetAtt takes [logicalId, attribute]'],
    ['Fn::Select out of range', { 'Fn::Select': [3, ['a']] }, 'Fn::Select index 3 is out of range'],
    ['a list inside Fn::Join', { 'Fn::Join': ['', [['nested']]] }, 'expected a string, got ["nested"]'],
  ])('rejects %s with the path and the reason', (_case, value, reason) => {
    // Act
    const resolving = () => resolveValue(value, context, PATH);

    // Assess
    expect(resolving).toThrow(TemplateResolutionError);
    expect(resolving).toThrow(`${PATH}: ${reason}`);
  });

  it('names the path of the property that holds the reference it cannot resolve', () => {
    // Prepare
    const properties = {
      Environment: { Variables: { QUEUE: { Ref: 'Missing' } } },
      Layers: [{ Ref: 'Gone' }],
    };

    // Act
    const caught = catchError(() =>
      resolveValue(properties, context, 'ProcessOrderLambdaFunction.Properties'),
    );

    // Assess
    expect(caught).toBeInstanceOf(TemplateResolutionError);
    expect((caught as TemplateResolutionError).path).toBe(
      'ProcessOrderLambdaFunction.Properties.Environment.Variables.QUEUE',
    );
  });
});

describe('resolveString', () => {
  it('writes a number as text', () => {
    // Act
    const resolved = resolveString({ 'Fn::Select': [0, [300]] }, context, PATH);

    // Assess
    expect(resolved).toBe('300');
  });

  it('rejects a value that is not a string', () => {
    // Act
    const resolving = () => resolveString({ 'Fn::Split': [',', 'a,b'] }, context, PATH);

    // Assess
    expect(resolving).toThrow(`${PATH}: expected a string, got ["a","b"]`);
  });
});

describe('listDependencies', () => {
  it.each([
    ['nothing for plain values', { A: 'x', B: [1, 2] }, []],
    ['a Ref', { Ref: 'Queue' }, ['Queue']],
    ['no pseudo parameter', { 'Fn::Join': ['', [{ Ref: 'AWS::Region' }, { Ref: 'AWS::NoValue' }]] }, []],
    [
      'both forms of Fn::GetAtt',
      [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, { 'Fn::GetAtt': 'Table.Arn' }],
      ['Queue', 'Table'],
    ],
    [
      'the names inside Fn::Sub, without literals and pseudo parameters',
      { 'Fn::Sub': '${Queue.Arn}/${AWS::Region}/${!Escaped}/${Table}' },
      ['Queue', 'Table'],
    ],
    [
      'the values of Fn::Sub variables, not their names',
      { 'Fn::Sub': ['${Name}-${Topic}', { Name: { Ref: 'Table' } }] },
      ['Table', 'Topic'],
    ],
    [
      'each id once, in order of first appearance, at any depth',
      { A: { Ref: 'Topic' }, B: [{ C: { 'Fn::GetAtt': ['Queue', 'Arn'] } }, { Ref: 'Topic' }] },
      ['Topic', 'Queue'],
    ],
  ])('lists %s', (_case, value, expected) => {
    // Act
    const dependencies = listDependencies(value);

    // Assess
    expect(dependencies).toEqual(expected);
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
