import type { CfnResource, CfnTemplate } from './cfn-spec.js';

/** Read-only look-ups into a packaged template, shared by the infra tests. */

export type Statement = Record<string, unknown>;

/** A policy statement and where it sits: `document` is e.g. `Policies[0]` or `KeyPolicy`, `index` its place there. */
export interface LocatedStatement {
  logicalId: string;
  type: string;
  document: string;
  index: number;
  statement: Statement;
}

export function resourcesOfType(template: CfnTemplate, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function getResource(template: CfnTemplate, logicalId: string): CfnResource {
  const resource = template.Resources[logicalId];
  if (resource === undefined) throw new Error(`The template has no resource ${logicalId}`);
  return resource;
}

export function propertiesOf(resource: CfnResource): Record<string, unknown> {
  return resource.Properties ?? {};
}

/** A property path (`['SSESpecification', 'SSEEnabled']`) into a resource's properties, `undefined` when absent. */
export function propertyAt(resource: CfnResource, path: readonly string[]): unknown {
  let value: unknown = resource.Properties;
  for (const key of path) value = isRecord(value) ? value[key] : undefined;
  return value;
}

/** The function whose `FunctionName` is `<service>-<stage>-<name>`, as serverless names it. */
export function lambdaFunction(template: CfnTemplate, stage: string, name: string): [string, CfnResource] {
  const functionName = `orderflow-${stage}-${name}`;
  const found = resourcesOfType(template, 'AWS::Lambda::Function').find(
    ([, resource]) => propertyAt(resource, ['FunctionName']) === functionName,
  );
  if (found === undefined) throw new Error(`The template has no function named ${functionName}`);
  return found;
}

/** The logical id of the role a function runs as (`Role: { "Fn::GetAtt": [role, "Arn"] }`). */
export function roleOf(lambda: CfnResource): string | undefined {
  const role = propertyAt(lambda, ['Role']);
  const getAtt = isRecord(role) ? role['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string'
    ? getAtt[0]
    : undefined;
}

/**
 * `'X'` for `{ Ref: X }`, `'X.Attr'` for `{ "Fn::GetAtt": [X, Attr] }`, the pattern of a `{ "Fn::Sub": pattern }`,
 * a string as is, anything else as JSON.
 */
export function describeReference(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value)) {
    if (typeof value.Ref === 'string') return value.Ref;
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return getAtt.join('.');
    if (typeof getAtt === 'string') return getAtt;
    if (typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
  }
  return JSON.stringify(value);
}

/** The resource that `{ Ref: X }` or `{ "Fn::GetAtt": [X, …] }` points at; `undefined` for anything else. */
export function referencedLogicalId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
  return typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
}

/** How the template refers to the ARN of one of its resources. */
export function arnOf(logicalId: string): { 'Fn::GetAtt': [string, 'Arn'] } {
  return { 'Fn::GetAtt': [logicalId, 'Arn'] };
}

/**
 * A number property, or `fallback` (the service's default) when the template leaves it out. CloudFormation also
 * takes integers as strings; anything else is `NaN`, which fails every comparison.
 */
export function numberAt(resource: CfnResource, path: readonly string[], fallback: number): number {
  const value = propertyAt(resource, path);
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

/**
 * An event source mapping with the resources it links: `source` (a queue, a stream) → `target` (a function), and
 * `onFailure`, where a stream mapping sends the batches it gives up on (`undefined` when it has no such destination).
 */
export interface EventSourceLink {
  logicalId: string;
  mapping: CfnResource;
  source: string | undefined;
  target: string | undefined;
  onFailure: string | undefined;
}

export function eventSourceMappings(template: CfnTemplate): EventSourceLink[] {
  return resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([logicalId, mapping]) => ({
    logicalId,
    mapping,
    source: referencedLogicalId(propertyAt(mapping, ['EventSourceArn'])),
    target: referencedLogicalId(propertyAt(mapping, ['FunctionName'])),
    onFailure: referencedLogicalId(propertyAt(mapping, ['DestinationConfig', 'OnFailure', 'Destination'])),
  }));
}

/** A value or a list of them, as IAM allows for `Action`, `Resource` and `Statement`. */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const RESOURCE_POLICY_TYPES = new Set([
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
]);

/**
 * Every policy statement in the template: IAM roles (inline policies and trust policy), IAM policies, managed
 * policies, KMS key policies, and the resource policies of buckets, topics and queues.
 */
export function policyStatements(template: CfnTemplate): LocatedStatement[] {
  const located: LocatedStatement[] = [];
  const collect = (logicalId: string, type: string, document: string, policy: unknown) => {
    const statements = isRecord(policy) ? asList(policy.Statement) : [];
    statements.forEach((statement, index) => {
      located.push({ logicalId, type, document, index, statement: isRecord(statement) ? statement : {} });
    });
  };
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const { Type: type } = resource;
    const properties = propertiesOf(resource);
    if (type === 'AWS::IAM::Role') {
      collect(logicalId, type, 'AssumeRolePolicyDocument', properties.AssumeRolePolicyDocument);
      asList(properties.Policies).forEach((policy, index) => {
        collect(logicalId, type, `Policies[${index}]`, isRecord(policy) ? policy.PolicyDocument : undefined);
      });
    } else if (type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy') {
      collect(logicalId, type, 'PolicyDocument', properties.PolicyDocument);
    } else if (type === 'AWS::KMS::Key') {
      collect(logicalId, type, 'KeyPolicy', properties.KeyPolicy);
    } else if (RESOURCE_POLICY_TYPES.has(type)) {
      collect(logicalId, type, 'PolicyDocument', properties.PolicyDocument);
    }
  }
  return located;
}

/** The statements of a role's inline policies (not its trust policy). */
export function roleStatements(template: CfnTemplate, roleLogicalId: string): Statement[] {
  return policyStatements(template)
    .filter(({ logicalId, document }) => logicalId === roleLogicalId && document.startsWith('Policies'))
    .map(({ statement }) => statement);
}

/** The statements of the inline policies of the role the function `<service>-<stage>-<name>` runs as. */
export function functionStatements(template: CfnTemplate, stage: string, name: string): Statement[] {
  const role = roleOf(lambdaFunction(template, stage, name)[1]);
  if (role === undefined) throw new Error(`orderflow-${stage}-${name} names no role of this template`);
  return roleStatements(template, role);
}

/** `<action> on <resource>` for every action and every resource of each statement, resources by `describeReference`. */
export function grantsOf(statements: readonly Statement[]): string[] {
  return statements.flatMap((statement) =>
    asList(statement.Action).flatMap((action) =>
      asList(statement.Resource).map((resource) => `${String(action)} on ${describeReference(resource)}`),
    ),
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
