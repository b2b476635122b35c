import type { CfnResource, CfnTemplate } from './cfn-spec.js';
import {
  asList,
  describeReference,
  isRecord,
  policyStatements,
  propertyAt,
  referencedLogicalId,
  resourcesOfType,
} from './template-queries.js';

/**
 * "A stack locked down": what a template must keep, checked without AWS. Each violation is one line naming the
 * resource (and the statement) at fault; an empty list is a locked-down template.
 *
 * - No wildcard action (`*`, `sqs:*`, `kms:GenerateDataKey*`) and no NotAction in any statement that allows: an
 *   identity policy (roles, IAM and managed policies), a key policy or a resource policy. A Deny only narrows
 *   access, so the TLS-only Denies use `sqs:*` / `kms:*` (every action, present and future), as AWS recommends.
 * - `Resource: "*"` in an identity policy only for the actions AWS gives no resource-level permissions, alone in
 *   their statement (`RESOURCELESS_ACTIONS`).
 * - Every topic, queue, stream and table encrypted with a customer managed key of the stack (a Ref or GetAtt to an
 *   `AWS::KMS::Key` of the template), never an AWS-owned or AWS managed key (`alias/aws/…`).
 * - Every queue, topic and key under a policy that denies any request without TLS, to anyone.
 * - Every route of an HTTP API behind a JWT authorizer of the template that names an https issuer and an audience.
 * - Access logging on every HTTP API stage, and a retention on every log group (none keeps logs forever).
 */
export function lockdownViolations(template: CfnTemplate): string[] {
  return [
    ...wildcardActions(template),
    ...wildcardResources(template),
    ...unencrypted(template),
    ...withoutTlsDeny(template),
    ...withoutAuthorizer(template),
    ...unlogged(template),
  ];
}

/**
 * Actions with no resource-level permissions: the only ones an identity statement may grant on `"*"`.
 * - `xray:PutTraceSegments`, `xray:PutTelemetryRecords`: what active tracing sends; X-Ray takes no resource for them.
 * - `ec2:DescribeSecurityGroups`, `ec2:DescribeVpcs`: what Lambda's Amazon MQ event source asks of the function's
 *   role about the broker's network; EC2's Describe actions take no resource.
 */
export const RESOURCELESS_ACTIONS: ReadonlySet<string> = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
]);

const IDENTITY_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);
const KEY_TYPE = 'AWS::KMS::Key';

function wildcardActions(template: CfnTemplate): string[] {
  return policyStatements(template)
    .filter(({ statement }) => statement.Effect !== 'Deny')
    .flatMap(({ logicalId, document, index, statement }) => {
      const where = `${logicalId} ${document}.Statement[${index}]`;
      return [
        ...asList(statement.Action)
          .filter((action) => typeof action !== 'string' || action.includes('*'))
          .map((action) => `${where}: wildcard action ${JSON.stringify(action)}`),
        ...(statement.NotAction === undefined ? [] : [`${where}: NotAction`]),
      ];
    });
}

function wildcardResources(template: CfnTemplate): string[] {
  return policyStatements(template)
    .filter(({ type, document }) => IDENTITY_TYPES.has(type) && document !== 'AssumeRolePolicyDocument')
    .filter(
      ({ statement }) => asList(statement.Resource).includes('*') || statement.NotResource !== undefined,
    )
    .filter(({ statement }) => {
      const actions = asList(statement.Action);
      return (
        statement.NotResource !== undefined ||
        actions.length === 0 ||
        !actions.every((action) => typeof action === 'string' && RESOURCELESS_ACTIONS.has(action)) ||
        asList(statement.Resource).length !== 1
      );
    })
    .map(
      ({ logicalId, document, index, statement }) =>
        `${logicalId} ${document}.Statement[${index}]: Resource "*" for ${JSON.stringify(statement.Action)}`,
    );
}

/** Where each encrypted type names its key, and what else it needs to be encrypted at all. */
const ENCRYPTION: ReadonlyArray<{
  type: string;
  what: string;
  key: readonly string[];
  required?: ReadonlyArray<[readonly string[], unknown]>;
}> = [
  { type: 'AWS::SNS::Topic', what: 'topic', key: ['KmsMasterKeyId'] },
  { type: 'AWS::SQS::Queue', what: 'queue', key: ['KmsMasterKeyId'] },
  {
    type: 'AWS::Kinesis::Stream',
    what: 'stream',
    key: ['StreamEncryption', 'KeyId'],
    required: [[['StreamEncryption', 'EncryptionType'], 'KMS']],
  },
  {
    type: 'AWS::DynamoDB::Table',
    what: 'table',
    key: ['SSESpecification', 'KMSMasterKeyId'],
    required: [
      [['SSESpecification', 'SSEEnabled'], true],
      [['SSESpecification', 'SSEType'], 'KMS'],
    ],
  },
];

function unencrypted(template: CfnTemplate): string[] {
  const keys = new Set(resourcesOfType(template, KEY_TYPE).map(([logicalId]) => logicalId));
  return ENCRYPTION.flatMap(({ type, what, key, required = [] }) =>
    resourcesOfType(template, type).flatMap(([logicalId, resource]) => {
      const problems = required
        .filter(([path, wanted]) => propertyAt(resource, path) !== wanted)
        .map(
          ([path, wanted]) =>
            `${logicalId}: ${what} not encrypted with the stack's key (${path.join('.')} is ${JSON.stringify(
              propertyAt(resource, path),
            )}, not ${JSON.stringify(wanted)})`,
        );
      const reference = propertyAt(resource, key);
      const keyId = referencedLogicalId(reference);
      if (keyId === undefined || !keys.has(keyId)) {
        problems.push(
          `${logicalId}: ${what} not encrypted with the stack's key (${key.join('.')} is ${
            reference === undefined ? 'absent' : describeReference(reference)
          })`,
        );
      }
      return problems;
    }),
  );
}

/** The actions a TLS-only Deny must cover at least, per kind of resource. */
const TLS_DENIED: ReadonlyArray<{
  policyType: string;
  resourceType: string;
  what: string;
  targets: string;
  actions: readonly string[];
}> = [
  {
    policyType: 'AWS::SQS::QueuePolicy',
    resourceType: 'AWS::SQS::Queue',
    what: 'queue',
    targets: 'Queues',
    actions: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'],
  },
  {
    policyType: 'AWS::SNS::TopicPolicy',
    resourceType: 'AWS::SNS::Topic',
    what: 'topic',
    targets: 'Topics',
    actions: ['sns:Publish', 'sns:Subscribe'],
  },
];

const KEY_ACTIONS_DENIED = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

function withoutTlsDeny(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const { policyType, resourceType, what, targets, actions } of TLS_DENIED) {
    const policies = resourcesOfType(template, policyType);
    for (const [logicalId] of resourcesOfType(template, resourceType)) {
      const covering = policies.filter(([, policy]) =>
        asList(propertyAt(policy, [targets])).some((target) => referencedLogicalId(target) === logicalId),
      );
      if (covering.length === 0) {
        problems.push(`${logicalId}: ${what} under no ${policyType}, so no TLS-only Deny`);
      } else if (
        !covering.some(([, policy]) => deniesWithoutTls(policy, ['PolicyDocument'], actions, logicalId))
      ) {
        const names = covering.map(([policyId]) => policyId).join(', ');
        problems.push(`${logicalId}: ${what} policy ${names} denies no request without TLS`);
      }
    }
  }
  for (const [logicalId, key] of resourcesOfType(template, KEY_TYPE)) {
    if (!deniesWithoutTls(key, ['KeyPolicy'], KEY_ACTIONS_DENIED, undefined)) {
      problems.push(`${logicalId}: key policy denies no request without TLS`);
    }
  }
  return problems;
}

/**
 * Whether a policy document has a Deny, to every principal, of at least `actions`, on `target` (or on "*"), when
 * `aws:SecureTransport` is false. `target` undefined: a key policy, whose only resource is "*".
 */
function deniesWithoutTls(
  resource: CfnResource,
  path: readonly string[],
  actions: readonly string[],
  target: string | undefined,
): boolean {
  const document = propertyAt(resource, path);
  const statements = isRecord(document) ? asList(document.Statement) : [];
  return statements.some((statement) => {
    if (!isRecord(statement) || statement.Effect !== 'Deny') return false;
    const principal = statement.Principal;
    const everyone = principal === '*' || (isRecord(principal) && asList(principal.AWS).includes('*'));
    const condition = isRecord(statement.Condition) ? statement.Condition.Bool : undefined;
    const secureTransport = isRecord(condition) ? condition['aws:SecureTransport'] : undefined;
    const denied = asList(statement.Action).filter((action): action is string => typeof action === 'string');
    const resources = asList(statement.Resource);
    const onTarget =
      resources.includes('*') ||
      (target !== undefined && resources.some((value) => referencedLogicalId(value) === target));
    return (
      everyone &&
      (secureTransport === 'false' || secureTransport === false) &&
      actions.every((action) => denied.some((pattern) => matches(pattern, action))) &&
      onTarget
    );
  });
}

/** An IAM action pattern against an action: `*` matches any run of characters, case-insensitively. */
function matches(pattern: string, action: string): boolean {
  const expression = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${expression}$`, 'i').test(action);
}

function withoutAuthorizer(template: CfnTemplate): string[] {
  const problems: string[] = [];
  const authorizers = new Map(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer'));
  for (const [logicalId, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
    const routeKey = String(propertyAt(route, ['RouteKey']));
    if (propertyAt(route, ['AuthorizationType']) !== 'JWT') {
      problems.push(`${logicalId} (${routeKey}): route not behind a JWT authorizer`);
      continue;
    }
    const authorizerId = referencedLogicalId(propertyAt(route, ['AuthorizerId']));
    const authorizer = authorizerId === undefined ? undefined : authorizers.get(authorizerId);
    if (authorizer === undefined || propertyAt(authorizer, ['AuthorizerType']) !== 'JWT') {
      problems.push(`${logicalId} (${routeKey}): AuthorizerId names no JWT authorizer of the template`);
      continue;
    }
    const issuer = propertyAt(authorizer, ['JwtConfiguration', 'Issuer']);
    const audience = asList(propertyAt(authorizer, ['JwtConfiguration', 'Audience']));
    if (typeof issuer !== 'string' || !issuer.startsWith('https://')) {
      problems.push(`${authorizerId}: JWT authorizer without an https issuer`);
    }
    if (audience.length === 0 || audience.some((value) => typeof value !== 'string' || value === '')) {
      problems.push(`${authorizerId}: JWT authorizer without an audience`);
    }
  }
  return [...new Set(problems)];
}

function unlogged(template: CfnTemplate): string[] {
  const problems: string[] = [];
  for (const [logicalId, stage] of resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')) {
    const destination = propertyAt(stage, ['AccessLogSettings', 'DestinationArn']);
    const format = propertyAt(stage, ['AccessLogSettings', 'Format']);
    if (destination === undefined || typeof format !== 'string' || format === '') {
      problems.push(`${logicalId}: HTTP API stage without access logging`);
    }
  }
  for (const [logicalId, group] of resourcesOfType(template, 'AWS::Logs::LogGroup')) {
    if (typeof propertyAt(group, ['RetentionInDays']) !== 'number') {
      problems.push(`${logicalId}: log group without RetentionInDays (kept forever)`);
    }
  }
  return problems;
}
