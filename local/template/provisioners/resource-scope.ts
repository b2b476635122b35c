import type { LocalClients } from '../../aws-clients.js';
import type { ResolutionContext } from '../intrinsics.js';
import { resolveString, resolveValue, TemplateResolutionError } from '../intrinsics.js';
import type {
  AsyncInvokeConfig,
  EventSource,
  LocalBroker,
  LocalBrokerDefinitions,
  LocalFunction,
  LocalResource,
  LocalRoute,
  LocalSecret,
  LocalTopicRule,
  RouteAuthorizer,
} from '../model.js';

/**
 * What every provisioner works with: the resource it provisions (its scope), what it returns, and how it reads the
 * resource's properties — intrinsics resolved, checked to be the kind of value the property holds.
 */

export type ProvisioningClients = Pick<LocalClients, 'sqs' | 'sns' | 'dynamodb' | 'kinesis'>;

/** The Lambda function an HTTP API integration invokes. */
export interface IntegrationTarget {
  functionName: string;
  payloadFormatVersion: string;
}

/** One resource being provisioned: who it is, what is already there, and where to report. */
export interface ResourceScope {
  logicalId: string;
  type: string;
  /** The resource's `Properties`, unresolved. */
  properties: Readonly<Record<string, unknown>>;
  /** Its `DependsOn`, as a list. */
  dependsOn: readonly string[];
  clients: ProvisioningClients;
  /** Pseudo parameters and every resource provisioned before this one. */
  context: ResolutionContext;
  /** HTTP API integrations provisioned so far, by their `Ref`. */
  integrations: ReadonlyMap<string, IntegrationTarget>;
  /** HTTP API JWT authorizers provisioned so far, by their `Ref` (routes have no scopes yet). */
  authorizers: ReadonlyMap<string, Omit<RouteAuthorizer, 'scopes'>>;
  /** Secrets provisioned so far (what `{{resolve:secretsmanager:…}}` references read). */
  secrets: readonly LocalSecret[];
  /** The port a RabbitMQ broker of the stack listens on (AMQP). */
  amqpPort: number;
  warn(message: string): void;
}

/** What a provisioner made: the resource, and what it adds to the stack's functions, routes or event sources. */
export interface Provisioned {
  resource: LocalResource;
  function?: LocalFunction;
  route?: LocalRoute;
  eventSource?: EventSource;
  integration?: IntegrationTarget;
  authorizer?: Omit<RouteAuthorizer, 'scopes'>;
  secret?: LocalSecret;
  topicRule?: LocalTopicRule;
  asyncInvokeConfig?: AsyncInvokeConfig;
  broker?: LocalBroker;
  brokerDefinitions?: LocalBrokerDefinitions;
}

export type Provisioner = (scope: ResourceScope) => Promise<Provisioned>;

// ---------------------------------------------------------------------------------------------------------------
// Properties

export function propertyPath(scope: ResourceScope, name: string): string {
  return `${scope.logicalId}.Properties.${name}`;
}

/** A property with its intrinsics resolved; `undefined` when absent. */
export function resolveProperty(scope: ResourceScope, name: string): unknown {
  return resolveValue(scope.properties[name], scope.context, propertyPath(scope, name));
}

export function optionalText(scope: ResourceScope, name: string): string | undefined {
  if (scope.properties[name] === undefined) return undefined;
  const value = resolveProperty(scope, name);
  return value === undefined ? undefined : textOf(value, propertyPath(scope, name));
}

export function requiredText(scope: ResourceScope, name: string): string {
  if (scope.properties[name] === undefined) {
    throw new TemplateResolutionError(propertyPath(scope, name), 'is required');
  }
  return resolveString(scope.properties[name], scope.context, propertyPath(scope, name));
}

export function optionalNumber(scope: ResourceScope, name: string): number | undefined {
  const text = optionalText(scope, name);
  if (text === undefined) return undefined;
  const number = Number(text);
  if (text.trim() === '' || !Number.isFinite(number)) {
    throw new TemplateResolutionError(propertyPath(scope, name), `expected a number, got ${text}`);
  }
  return number;
}

export function optionalBoolean(scope: ResourceScope, name: string): boolean | undefined {
  const text = optionalText(scope, name);
  if (text === undefined) return undefined;
  if (text !== 'true' && text !== 'false') {
    throw new TemplateResolutionError(propertyPath(scope, name), `expected true or false, got ${text}`);
  }
  return text === 'true';
}

export function textListOf(scope: ResourceScope, name: string): string[] {
  const value = resolveProperty(scope, name);
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TemplateResolutionError(propertyPath(scope, name), 'expected a list');
  return value.map((item, index) => textOf(item, `${propertyPath(scope, name)}[${index}]`));
}

/**
 * Service attributes from properties of the same name: scalars as text, objects (`RedrivePolicy`, `FilterPolicy`)
 * as JSON, as the SQS and SNS APIs take them.
 */
export function attributesOf(scope: ResourceScope, names: readonly string[]): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of names) {
    const value = resolveProperty(scope, name);
    if (value === undefined) continue;
    attributes[name] =
      typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : textOf(value, propertyPath(scope, name));
  }
  return attributes;
}

/**
 * A property that CloudFormation and the service API spell the same way (`KeySchema`, `AttributeDefinitions`):
 * resolved, checked to be a list and passed on; the emulator validates its members.
 */
export function structureOf<T extends unknown[]>(scope: ResourceScope, name: string): T {
  const value = resolveProperty(scope, name);
  if (!Array.isArray(value)) throw new TemplateResolutionError(propertyPath(scope, name), 'expected a list');
  return value as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Creating in an emulator

/** Waiters poll at once, then every second or two; dynalite and kinesalite are configured with no delay. */
export const WAIT = { maxWaitTime: 60, minDelay: 1, maxDelay: 2 };

/** Creates a table or stream; one left by an earlier run on the same emulators is used as it is. */
export async function createUnlessExists(create: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

export function textOf(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(path, `expected a string, got ${JSON.stringify(value)}`);
}

export function isOneOf<T extends string>(value: string, options: readonly T[]): value is T {
  return (options as readonly string[]).includes(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
