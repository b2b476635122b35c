import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** One resource of a CloudFormation template, as `serverless package` writes it. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  [attribute: string]: unknown;
}

/** A CloudFormation template (JSON); values are checked where they are used. */
export interface StackTemplate {
  Parameters?: Record<string, { Default?: unknown; [key: string]: unknown }>;
  Resources: Record<string, TemplateResource>;
  [section: string]: unknown;
}

/** A function as the template declares it: the `local` stage gives plain-string names and environments. */
export interface DeclaredFunction {
  /** `FunctionName`, e.g. `orderflow-local-redriveDlq`. */
  name: string;
  /** `Environment.Variables`, as written. */
  environment: Record<string, string>;
}

/**
 * Why a queue is a dead-letter queue: the DLQ of another queue (`RedrivePolicy`), of an SNS subscription (its
 * `RedrivePolicy`), or a stream event source mapping's on-failure destination (`activity-failures`).
 */
export type DeadLetterKind = 'queue-dlq' | 'subscription-dlq' | 'on-failure';

/** A dead-letter queue as the template declares it, before it is resolved to a URL. */
export interface DeclaredDeadLetterQueue {
  logicalId: string;
  kind: DeadLetterKind;
  /** `QueueName` when the template names it (orderflow names every queue). */
  queueName?: string;
  /**
   * The logical id of the queue its messages came from, and a redrive sends them back to: the queue whose redrive
   * policy names it, or the queue a subscription delivers to. None for an on-failure destination.
   */
  sourceLogicalId?: string;
}

/** A JWT authorizer of the HTTP API, as the `local` stage writes it: plain strings, so tokens can be made for it. */
export interface DeclaredJwtAuthorizer {
  logicalId: string;
  /** `Name`, e.g. `customerJwt`. */
  name: string;
  issuer: string;
  audience: string[];
}

/**
 * What `serverless package --package <dir>` wrote, with the names the stack would have once deployed, and what the
 * local cloud and its commands need from the template — derived here, once, so that nothing else reads the
 * template's `Resources` but provisioning.
 */
export interface PackagedStack {
  /** Absolute path of the package directory (the function artifacts are here). */
  directory: string;
  template: StackTemplate;
  service: string;
  stage: string;
  region: string;
  /** `provider.stackName`, else serverless' default `<service>-<stage>`. */
  stackName: string;
  /** Every function with a plain-string `FunctionName`, in template order. */
  functions: DeclaredFunction[];
  /** Every queue's `QueueName`, in template order (a queue without one is left out). */
  queueNames: string[];
  /** The dead-letter queues, found by their wiring (see `deadLetterQueuesOf`). */
  deadLetterQueues: DeclaredDeadLetterQueue[];
  /** The HTTP API's JWT authorizers whose issuer and audience are plain strings. */
  jwtAuthorizers: DeclaredJwtAuthorizer[];
}

export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
export const STATE_FILE = 'serverless-state.json';

/**
 * Reads the CloudFormation template and `serverless-state.json` from a `serverless package --package <dir>` output,
 * and derives the names the local cloud and its commands use. The one place the package is read: what needs it
 * more than once is handed the result. Fails with the command to run when the directory holds no package.
 */
export async function loadPackagedStack(packageDir: string): Promise<PackagedStack> {
  const directory = resolve(packageDir);
  const template = await readJsonFile(directory, TEMPLATE_FILE);
  const state = await readJsonFile(directory, STATE_FILE);
  const templateFile = join(directory, TEMPLATE_FILE);
  if (!isRecord(template) || !isRecord(template.Resources)) {
    throw new Error(`${templateFile} is not a CloudFormation template: it has no Resources`);
  }
  const { service, stage, region, stackName } = readState(state, join(directory, STATE_FILE));
  const stackTemplate = template as StackTemplate;
  return {
    directory,
    template: stackTemplate,
    service,
    stage,
    region,
    stackName,
    functions: functionsOf(stackTemplate),
    queueNames: queueNamesOf(stackTemplate),
    deadLetterQueues: deadLetterQueuesOf(stackTemplate),
    jwtAuthorizers: jwtAuthorizersOf(stackTemplate),
  };
}

function jwtAuthorizersOf(template: StackTemplate): DeclaredJwtAuthorizer[] {
  return Object.entries(template.Resources).flatMap(([logicalId, { Type, Properties = {} }]) => {
    if (Type !== 'AWS::ApiGatewayV2::Authorizer' || Properties.AuthorizerType !== 'JWT') return [];
    const { Issuer: issuer, Audience: audience } = (Properties.JwtConfiguration ?? {}) as Record<
      string,
      unknown
    >;
    const name = typeof Properties.Name === 'string' ? Properties.Name : logicalId;
    const audiences = Array.isArray(audience) ? audience.filter((item) => typeof item === 'string') : [];
    return typeof issuer === 'string' ? [{ logicalId, name, issuer, audience: audiences }] : [];
  });
}

/**
 * The one JWT authorizer of the stack, which local tokens are made for; fails with what to change when there is
 * none or more than one.
 */
export function theJwtAuthorizer(
  packaged: Pick<PackagedStack, 'jwtAuthorizers' | 'directory'>,
): DeclaredJwtAuthorizer {
  const [authorizer, ...others] = packaged.jwtAuthorizers;
  if (authorizer === undefined) {
    throw new Error(
      `The package in ${packaged.directory} declares no JWT authorizer with a plain-string issuer`,
    );
  }
  if (others.length > 0) {
    const names = packaged.jwtAuthorizers.map(({ name }) => name).join(', ');
    throw new Error(
      `The package declares several JWT authorizers (${names}); local tokens are made for one only`,
    );
  }
  if (authorizer.audience.length === 0)
    throw new Error(`The JWT authorizer ${authorizer.name} names no audience`);
  return authorizer;
}

/** The `local` stage gives functions plain-string names and environments: no intrinsic to resolve. */
function functionsOf(template: StackTemplate): DeclaredFunction[] {
  return Object.values(template.Resources).flatMap(({ Type, Properties = {} }) => {
    const variables = (Properties.Environment as { Variables?: Record<string, string> } | undefined)
      ?.Variables;
    return Type === 'AWS::Lambda::Function' && typeof Properties.FunctionName === 'string'
      ? [{ name: Properties.FunctionName, environment: variables ?? {} }]
      : [];
  });
}

function queueNamesOf(template: StackTemplate): string[] {
  return Object.values(template.Resources).flatMap(({ Type, Properties = {} }) =>
    Type === 'AWS::SQS::Queue' && typeof Properties.QueueName === 'string' ? [Properties.QueueName] : [],
  );
}

/**
 * The dead-letter queues a template declares, read from the wiring rather than from names: the targets of queues'
 * and subscriptions' `RedrivePolicy.deadLetterTargetArn`, and the queues named as `DestinationConfig.OnFailure` of
 * event source mappings. A queue declared twice (two consumers share `activity-failures`) is listed once.
 */
export function deadLetterQueuesOf(template: Pick<StackTemplate, 'Resources'>): DeclaredDeadLetterQueue[] {
  const found = new Map<string, DeclaredDeadLetterQueue>();
  const add = (target: unknown, kind: DeadLetterKind, sourceLogicalId?: string) => {
    const logicalId = getAttTarget(target);
    const resource = logicalId === undefined ? undefined : template.Resources[logicalId];
    if (logicalId === undefined || resource?.Type !== 'AWS::SQS::Queue' || found.has(logicalId)) return;
    const queueName = resource.Properties?.QueueName;
    found.set(logicalId, {
      logicalId,
      kind,
      ...(typeof queueName === 'string' ? { queueName } : {}),
      ...(sourceLogicalId === undefined ? {} : { sourceLogicalId }),
    });
  };
  for (const [logicalId, { Type, Properties = {} }] of Object.entries(template.Resources)) {
    if (Type === 'AWS::SQS::Queue') add(redriveTarget(Properties.RedrivePolicy), 'queue-dlq', logicalId);
    if (Type === 'AWS::SNS::Subscription') {
      add(redriveTarget(Properties.RedrivePolicy), 'subscription-dlq', getAttTarget(Properties.Endpoint));
    }
    if (Type === 'AWS::Lambda::EventSourceMapping') {
      const config = Properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined;
      add(config?.OnFailure?.Destination, 'on-failure');
    }
  }
  return [...found.values()];
}

/** `RedrivePolicy` may be an object or, as the SQS API takes it, a JSON string. */
function redriveTarget(policy: unknown): unknown {
  if (typeof policy === 'string') {
    try {
      return (JSON.parse(policy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
    } catch {
      return undefined;
    }
  }
  return typeof policy === 'object' && policy !== null
    ? (policy as { deadLetterTargetArn?: unknown }).deadLetterTargetArn
    : undefined;
}

/** The logical id of `{ "Fn::GetAtt": ["X", "Arn"] }` or `{ "Fn::GetAtt": "X.Arn" }`. */
function getAttTarget(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string' && getAtt.endsWith('.Arn')) return getAtt.slice(0, -'.Arn'.length);
  return undefined;
}

async function readJsonFile(directory: string, file: string): Promise<unknown> {
  const path = join(directory, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(
      `No packaged stack in ${directory}: ${file} is missing. ` +
        `Run \`npx serverless package --stage local --package ${directory}\` first.`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function readState(
  state: unknown,
  path: string,
): { service: string; stage: string; region: string; stackName: string } {
  const service = isRecord(state) ? state.service : undefined;
  const provider = isRecord(service) ? service.provider : undefined;
  // serverless v3+ writes `service: "name"`; older versions `service: { name }`.
  const serviceName = isRecord(service)
    ? textOr(service.service, isRecord(service.service) ? service.service.name : undefined)
    : undefined;
  const stage = isRecord(provider) ? textOr(provider.stage) : undefined;
  const region = isRecord(provider) ? textOr(provider.region) : undefined;
  if (serviceName === undefined || stage === undefined || region === undefined) {
    throw new Error(`${path} does not name the service, provider.stage and provider.region`);
  }
  const stackName =
    (isRecord(provider) ? textOr(provider.stackName) : undefined) ?? `${serviceName}-${stage}`;
  return { service: serviceName, stage, region, stackName };
}

function textOr(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value !== '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
