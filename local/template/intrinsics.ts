import type { LocalResource } from './model.js';

/**
 * CloudFormation intrinsic functions, resolved against what the local cloud provisioned. Pure: no I/O, no clock.
 * Supported: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::GetAZs` and the pseudo
 * parameters; anything else (`Fn::If`, `Fn::ImportValue`, ...) is an error that names it.
 */

/** What intrinsics resolve against: the pseudo parameters' sources and the resources provisioned so far. */
export interface ResolutionContext {
  region: string;
  accountId: string;
  stackName: string;
  resources: Readonly<Record<string, LocalResource>>;
  /** Template parameters by name (their `Default`s): `Ref` resolves them too. */
  parameters?: Readonly<Record<string, string>>;
}

/** A value that cannot be resolved; `path` says where it sits, e.g. `Fn.Properties.Environment.Variables.X`. */
export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
  readonly path: string;

  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
  }
}

/** `AWS::NoValue`: removes the property (or list element) that holds it. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

const SUPPORTED = [
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::GetAZs',
] as const;
type SupportedFunction = (typeof SUPPORTED)[number];

type Intrinsic = { name: string; argument: unknown };

/**
 * Resolves every intrinsic inside `value` and returns plain JSON; a property holding `AWS::NoValue` is removed
 * (and `undefined` is returned when `value` itself is one).
 *
 * @example resolveValue({ 'Fn::GetAtt': ['Queue', 'Arn'] }, context, 'Fn.Properties.X') // 'arn:aws:sqs:...'
 */
export function resolveValue(value: unknown, context: ResolutionContext, path: string): unknown {
  const resolved = resolveNode(value, context, path);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves `value` and requires a string (numbers and booleans are written as text, as CloudFormation does). */
export function resolveString(value: unknown, context: ResolutionContext, path: string): string {
  return toText(resolveNode(value, context, path), path);
}

/**
 * The logical ids (and parameter names) that `value` refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub`, in order
 * of first appearance, without pseudo parameters.
 */
export function listDependencies(value: unknown): string[] {
  const found = new Set<string>();
  collectDependencies(value, found);
  return [...found];
}

function resolveNode(value: unknown, context: ResolutionContext, path: string): unknown {
  if (Array.isArray(value)) return resolveList(value, context, path);
  if (!isRecord(value)) return value;
  const intrinsic = intrinsicOf(value);
  if (intrinsic !== undefined) return resolveIntrinsic(intrinsic, context, path);
  const resolved: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolvedItem = resolveNode(item, context, `${path}.${key}`);
    if (resolvedItem !== NO_VALUE) resolved[key] = resolvedItem;
  }
  return resolved;
}

function resolveList(values: readonly unknown[], context: ResolutionContext, path: string): unknown[] {
  return values
    .map((item, index) => resolveNode(item, context, `${path}[${index}]`))
    .filter((item) => item !== NO_VALUE);
}

function resolveIntrinsic({ name, argument }: Intrinsic, context: ResolutionContext, path: string): unknown {
  if (!isSupported(name)) {
    throw new TemplateResolutionError(path, `${name} is not supported by the local cloud`);
  }
  const resolvers: Record<SupportedFunction, () => unknown> = {
    Ref: () => resolveRef(argument, context, path),
    'Fn::GetAtt': () => resolveGetAtt(argument, context, path),
    'Fn::Join': () => resolveJoin(argument, context, path),
    'Fn::Sub': () => resolveSub(argument, context, path),
    'Fn::Select': () => resolveSelect(argument, context, path),
    'Fn::Split': () => resolveSplit(argument, context, path),
    // Three zones, as most regions have: `<region>a`, `b`, `c` (a subnet's zone names nothing locally).
    'Fn::GetAZs': () => ['a', 'b', 'c'].map((zone) => `${context.region}${zone}`),
  };
  return resolvers[name]();
}

function resolveRef(argument: unknown, context: ResolutionContext, path: string): unknown {
  if (typeof argument !== 'string') {
    throw new TemplateResolutionError(path, `Ref takes a logical id, not ${JSON.stringify(argument)}`);
  }
  return refOf(argument, context, path);
}

function refOf(name: string, context: ResolutionContext, path: string): unknown {
  if (name.startsWith('AWS::')) return pseudoParameter(name, context, path);
  const parameter = context.parameters?.[name];
  if (parameter !== undefined) return parameter;
  return resourceNamed(name, context, path, `Ref ${name}`).ref;
}

function pseudoParameter(name: string, context: ResolutionContext, path: string): unknown {
  const partition = partitionOf(context.region);
  switch (name) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return partition;
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:${partition}:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::URLSuffix':
      return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    case 'AWS::NotificationARNs':
      return [];
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      throw new TemplateResolutionError(path, `unknown pseudo parameter ${name}`);
  }
}

function resolveGetAtt(argument: unknown, context: ResolutionContext, path: string): string | string[] {
  const [logicalId, attribute] = getAttTarget(argument, context, path);
  const resource = resourceNamed(logicalId, context, path, `Fn::GetAtt ${logicalId}.${attribute}`);
  const value = resource.attributes[attribute] ?? resource.listAttributes?.[attribute];
  if (value === undefined) {
    const known =
      [...Object.keys(resource.attributes), ...Object.keys(resource.listAttributes ?? {})].join(', ') ||
      'none';
    throw new TemplateResolutionError(
      path,
      `Fn::GetAtt ${logicalId}.${attribute}: ${logicalId} (${resource.type}) has no attribute ${attribute} locally (it has: ${known})`,
    );
  }
  return value;
}

/** `[id, attr]` (attr may itself be a `Ref`) or `"id.attr"` (split at the first dot: attributes may hold dots). */
function getAttTarget(argument: unknown, context: ResolutionContext, path: string): [string, string] {
  if (typeof argument === 'string') {
    const dot = argument.indexOf('.');
    if (dot > 0 && dot < argument.length - 1) return [argument.slice(0, dot), argument.slice(dot + 1)];
  }
  if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === 'string') {
    return [argument[0], resolveString(argument[1], context, path)];
  }
  throw new TemplateResolutionError(
    path,
    `Fn::GetAtt takes [logicalId, attribute] or "logicalId.attribute", not ${JSON.stringify(argument)}`,
  );
}

function resolveJoin(argument: unknown, context: ResolutionContext, path: string): string {
  if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
    throw new TemplateResolutionError(path, 'Fn::Join takes [delimiter, [values]]');
  }
  const values = resolveNode(argument[1], context, path);
  if (!Array.isArray(values)) throw new TemplateResolutionError(path, 'Fn::Join needs a list of values');
  return values.map((value) => toText(value, path)).join(argument[0]);
}

function resolveSub(argument: unknown, context: ResolutionContext, path: string): string {
  const [template, variables] = subArguments(argument, path);
  const resolvedVariables = new Map<string, string>();
  for (const [name, value] of Object.entries(variables)) {
    resolvedVariables.set(name, resolveString(value, context, `${path}.${name}`));
  }
  return template.replace(/\$\{([^}]*)\}/g, (_match, body: string) => {
    if (body.startsWith('!')) return `\${${body.slice(1)}}`;
    const variable = resolvedVariables.get(body);
    if (variable !== undefined) return variable;
    const dot = body.indexOf('.');
    const value =
      dot > 0 && !body.startsWith('AWS::')
        ? resolveGetAtt([body.slice(0, dot), body.slice(dot + 1)], context, path)
        : refOf(body, context, path);
    return toText(value, path);
  });
}

function subArguments(argument: unknown, path: string): [string, Record<string, unknown>] {
  if (typeof argument === 'string') return [argument, {}];
  if (Array.isArray(argument) && typeof argument[0] === 'string' && isRecord(argument[1])) {
    return [argument[0], argument[1]];
  }
  throw new TemplateResolutionError(path, 'Fn::Sub takes a string or [string, { variables }]');
}

function resolveSelect(argument: unknown, context: ResolutionContext, path: string): unknown {
  if (!Array.isArray(argument) || argument.length !== 2) {
    throw new TemplateResolutionError(path, 'Fn::Select takes [index, [values]]');
  }
  const index = Number(resolveNode(argument[0], context, path));
  const values = resolveNode(argument[1], context, path);
  if (!Array.isArray(values)) throw new TemplateResolutionError(path, 'Fn::Select needs a list of values');
  if (!Number.isInteger(index) || index < 0 || index >= values.length) {
    throw new TemplateResolutionError(path, `Fn::Select index ${String(argument[0])} is out of range`);
  }
  return values[index];
}

function resolveSplit(argument: unknown, context: ResolutionContext, path: string): string[] {
  if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
    throw new TemplateResolutionError(path, 'Fn::Split takes [delimiter, string]');
  }
  return resolveString(argument[1], context, path).split(argument[0]);
}

function resourceNamed(
  logicalId: string,
  context: ResolutionContext,
  path: string,
  reference: string,
): LocalResource {
  const resource = context.resources[logicalId];
  if (resource === undefined) {
    throw new TemplateResolutionError(
      path,
      `${reference}: no resource or parameter ${logicalId} is provisioned`,
    );
  }
  return resource;
}

function collectDependencies(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectDependencies(item, found);
    return;
  }
  if (!isRecord(value)) return;
  const intrinsic = intrinsicOf(value);
  if (intrinsic === undefined) {
    for (const item of Object.values(value)) collectDependencies(item, found);
    return;
  }
  const { name, argument } = intrinsic;
  if (name === 'Ref' && typeof argument === 'string') addDependency(argument, found);
  else if (name === 'Fn::GetAtt') addGetAttDependency(argument, found);
  else if (name === 'Fn::Sub') addSubDependencies(argument, found);
  else collectDependencies(argument, found);
}

function addGetAttDependency(argument: unknown, found: Set<string>): void {
  if (typeof argument === 'string') addDependency(argument.split('.')[0] ?? '', found);
  else if (Array.isArray(argument) && typeof argument[0] === 'string') {
    addDependency(argument[0], found);
    collectDependencies(argument[1], found);
  }
}

function addSubDependencies(argument: unknown, found: Set<string>): void {
  const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
  const variableNames = isRecord(variables) ? Object.keys(variables) : [];
  if (isRecord(variables)) collectDependencies(Object.values(variables), found);
  if (typeof template !== 'string') return;
  for (const match of template.matchAll(/\$\{([^}!][^}]*)\}/g)) {
    const body = match[1] ?? '';
    if (!variableNames.includes(body)) addDependency(body.split('.')[0] ?? '', found);
  }
}

function addDependency(name: string, found: Set<string>): void {
  if (name !== '' && !name.startsWith('AWS::')) found.add(name);
}

/** An object with exactly one key, `Ref` or `Fn::*`, is an intrinsic function call. */
function intrinsicOf(value: Record<string, unknown>): Intrinsic | undefined {
  const keys = Object.keys(value);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) return undefined;
  return name === 'Ref' || name.startsWith('Fn::') ? { name, argument: value[name] } : undefined;
}

function isSupported(name: string): name is SupportedFunction {
  return (SUPPORTED as readonly string[]).includes(name);
}

function toText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const shown = value === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(value);
  throw new TemplateResolutionError(path, `expected a string, got ${shown}`);
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
