import { LOCAL_ACCOUNT_ID } from '../aws-clients.js';
import type { ResolutionContext } from './intrinsics.js';
import { listDependencies } from './intrinsics.js';
import type { LocalResource, ProvisionedStack, RouteAuthorizer } from './model.js';
import type { StackTemplate, TemplateResource } from './packaged-stack.js';
import { placeholderFor } from './provisioners/named-only.js';
import { PROVISIONERS } from './provisioners/registry.js';
import type {
  IntegrationTarget,
  Provisioned,
  ProvisioningClients,
  ResourceScope,
} from './provisioners/resource-scope.js';

export type { ProvisioningClients } from './provisioners/resource-scope.js';

export interface ProvisionOptions {
  clients: ProvisioningClients;
  region: string;
  /** The emulators' account: `000000000000` unless told otherwise. */
  accountId?: string;
  /** Names unnamed resources and `AWS::StackName`; `loadPackagedStack` gives serverless' `<service>-<stage>`. */
  stackName?: string;
  /** Told what was provisioned, in one line; warnings are in the result's `warnings` (log those). */
  log?: (line: string) => void;
  /** Where a RabbitMQ broker of the stack will listen (its `AmqpEndpoints`); default 5672. */
  amqpPort?: number;
}

/**
 * Creates a packaged stack's tables, topics, queues, subscriptions and streams in the emulators, in dependency order,
 * and describes what the local cloud runs: functions, HTTP routes and event sources, every name and ARN resolved.
 * A resource type the local cloud cannot provide is named in one warning line per type and never stops the rest.
 */
export async function provisionStack(
  template: StackTemplate,
  options: ProvisionOptions,
): Promise<ProvisionedStack> {
  const { clients, region, accountId = LOCAL_ACCOUNT_ID, stackName = 'local', log = () => {} } = options;
  const order = orderResources(template.Resources);
  const resources: Record<string, LocalResource> = {};
  const context: ResolutionContext = {
    region,
    accountId,
    stackName,
    resources,
    parameters: parametersOf(template),
  };
  const stack: ProvisionedStack = {
    region,
    accountId,
    resources,
    functions: [],
    routes: [],
    eventSources: [],
    secrets: [],
    brokers: [],
    brokerDefinitions: [],
    topicRules: [],
    asyncInvokeConfigs: [],
    warnings: [],
  };
  const warn = (line: string): void => {
    stack.warnings.push(line);
  };
  for (const line of describeUnsupported(template.Resources)) warn(line);
  const integrations = new Map<string, IntegrationTarget>();
  const authorizers = new Map<string, Omit<RouteAuthorizer, 'scopes'>>();
  for (const logicalId of order) {
    const resource = resourceNamed(template.Resources, logicalId);
    const scope: ResourceScope = {
      logicalId,
      type: resource.Type,
      properties: resource.Properties ?? {},
      dependsOn: resource.DependsOn === undefined ? [] : [resource.DependsOn].flat(),
      clients,
      context,
      integrations,
      authorizers,
      secrets: stack.secrets,
      amqpPort: options.amqpPort ?? 5672,
      warn,
    };
    const provisioned = await provisionResource(scope);
    resources[logicalId] = provisioned.resource;
    addToStack(stack, provisioned, integrations, authorizers);
  }
  log(summarize(stack));
  return stack;
}

/**
 * The logical ids in an order that creates every resource after those it refers to (`Ref`, `Fn::GetAtt`,
 * `Fn::Sub`) or `DependsOn`; otherwise in template order. Fails on a cycle, naming the resources in it.
 */
export function orderResources(resources: Readonly<Record<string, TemplateResource>>): string[] {
  const ids = Object.keys(resources);
  const dependencies = new Map(ids.map((id) => [id, dependenciesOf(id, resources)]));
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < ids.length) {
    const ready = ids.filter(
      (id) => !placed.has(id) && (dependencies.get(id) ?? []).every((dependency) => placed.has(dependency)),
    );
    if (ready.length === 0) {
      const waiting = ids.filter((id) => !placed.has(id));
      throw new Error(`local cloud: these resources depend on each other in a cycle: ${waiting.join(', ')}`);
    }
    for (const id of ready) {
      ordered.push(id);
      placed.add(id);
    }
  }
  return ordered;
}

function dependenciesOf(logicalId: string, resources: Readonly<Record<string, TemplateResource>>): string[] {
  const resource = resourceNamed(resources, logicalId);
  if (resource.Condition !== undefined) {
    throw new Error(
      `local cloud: ${logicalId} has Condition ${resource.Condition}: conditions are not supported locally`,
    );
  }
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const dependency of dependsOn) {
    if (!(dependency in resources)) {
      throw new Error(`local cloud: ${logicalId} DependsOn ${dependency}, which is not in the template`);
    }
  }
  // Parameters and unknown names are left to resolution, which names the property that holds them.
  const referenced = listDependencies(resource.Properties ?? {}).filter((id) => id in resources);
  return [...new Set([...dependsOn, ...referenced])];
}

async function provisionResource(scope: ResourceScope): Promise<Provisioned> {
  const provisioner = PROVISIONERS[scope.type];
  if (provisioner === undefined) return placeholderFor(scope);
  try {
    return await provisioner(scope);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`local cloud: cannot provision ${scope.logicalId} (${scope.type}): ${reason}`, {
      cause: error,
    });
  }
}

function addToStack(
  stack: ProvisionedStack,
  provisioned: Provisioned,
  integrations: Map<string, IntegrationTarget>,
  authorizers: Map<string, Omit<RouteAuthorizer, 'scopes'>>,
): void {
  if (provisioned.function !== undefined) stack.functions.push(provisioned.function);
  if (provisioned.route !== undefined) stack.routes.push(provisioned.route);
  if (provisioned.eventSource !== undefined) stack.eventSources.push(provisioned.eventSource);
  if (provisioned.integration !== undefined)
    integrations.set(provisioned.resource.ref, provisioned.integration);
  if (provisioned.authorizer !== undefined) authorizers.set(provisioned.resource.ref, provisioned.authorizer);
  if (provisioned.secret !== undefined) stack.secrets.push(provisioned.secret);
  if (provisioned.broker !== undefined) stack.brokers.push(provisioned.broker);
  if (provisioned.topicRule !== undefined) stack.topicRules.push(provisioned.topicRule);
  if (provisioned.asyncInvokeConfig !== undefined)
    stack.asyncInvokeConfigs.push(provisioned.asyncInvokeConfig);
  if (provisioned.brokerDefinitions !== undefined)
    stack.brokerDefinitions.push(provisioned.brokerDefinitions);
}

/** e.g. `local cloud: provisioned 2 tables, 1 topic, 4 queues, 2 subscriptions, 1 stream; 3 functions, ...`. */
function summarize(stack: ProvisionedStack): string {
  const created = Object.values(stack.resources);
  const ofType = (type: string, noun: string) =>
    plural(created.filter((resource) => resource.type === type).length, noun);
  const emulated = [
    ofType('AWS::DynamoDB::Table', 'table'),
    ofType('AWS::SNS::Topic', 'topic'),
    ofType('AWS::SQS::Queue', 'queue'),
    ofType('AWS::SNS::Subscription', 'subscription'),
    ofType('AWS::Kinesis::Stream', 'stream'),
    // Only in a stack that has them (the ERP bridge's).
    ...[
      ['AWS::SecretsManager::Secret', 'secret'],
      ['AWS::AmazonMQ::Broker', 'broker'],
      ['AWS::IoT::TopicRule', 'topic rule'],
    ]
      .filter(([type]) => created.some((resource) => resource.type === type))
      .map(([type, noun]) => ofType(type as string, noun as string)),
  ];
  const run = [
    plural(stack.functions.length, 'function'),
    plural(stack.routes.length, 'route'),
    plural(stack.eventSources.length, 'event source'),
  ];
  return `local cloud: provisioned ${emulated.join(', ')}; ${run.join(', ')}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One line per resource type with no local counterpart, naming its resources. */
function describeUnsupported(resources: Readonly<Record<string, TemplateResource>>): string[] {
  const byType = new Map<string, string[]>();
  for (const [logicalId, { Type: type }] of Object.entries(resources)) {
    if (PROVISIONERS[type] !== undefined) continue;
    byType.set(type, [...(byType.get(type) ?? []), logicalId]);
  }
  return [...byType].map(([type, ids]) => `local cloud: not provided locally: ${type} (${ids.join(', ')})`);
}

function parametersOf(template: StackTemplate): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = parameter.Default;
    if (typeof value === 'string' || typeof value === 'number') parameters[name] = String(value);
  }
  return parameters;
}

function resourceNamed(
  resources: Readonly<Record<string, TemplateResource>>,
  logicalId: string,
): TemplateResource {
  const resource = resources[logicalId];
  if (resource === undefined || typeof resource.Type !== 'string') {
    throw new Error(`local cloud: resource ${logicalId} has no Type`);
  }
  return resource;
}
