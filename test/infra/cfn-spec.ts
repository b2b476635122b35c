import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase } from '@aws-cdk/service-spec-types';

export type { SpecDatabase };

/** One resource of a CloudFormation template, as `serverless package` writes it. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  [attribute: string]: unknown;
}

/** A CloudFormation template (JSON). Values are checked at run time: the types describe what a valid one holds. */
export interface CfnTemplate {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, Record<string, unknown>>;
  [section: string]: unknown;
}

/** What is wrong, where: `logicalId` is a resource (or `Outputs.<name>`), `path` leads into it. */
export interface SpecProblem {
  logicalId: string;
  path: string;
  message: string;
}

/**
 * Loads the CloudFormation resource specification shipped by `@aws-cdk/aws-service-spec` (about a second: load it
 * once per test file).
 */
export function loadCfnSpec(): Promise<SpecDatabase> {
  return loadAwsServiceSpec();
}

export const PSEUDO_PARAMETERS: ReadonlySet<string> = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);

const CUSTOM_RESOURCE_TYPE = 'AWS::CloudFormation::CustomResource';

/** `{ Ref }` or `{ "Fn::…" }`: an object with one key, an intrinsic function's name. */
export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') === true);
}

export function formatProblem({ logicalId, path, message }: SpecProblem): string {
  return `${logicalId}${path === '' ? '' : ` ${path}`}: ${message}`;
}

export function formatProblems(problems: readonly SpecProblem[]): string {
  return problems.length === 0
    ? 'no problems'
    : problems.map((problem) => `- ${formatProblem(problem)}`).join('\n');
}

/**
 * Checks a template against the resource specification: resource types, property names (also inside nested
 * property types), required properties, primitive types (with CloudFormation's own leniency: scalars for strings,
 * numeric strings for numbers, "true"/"false" for booleans; any intrinsic function wherever a value goes), and
 * every reference — `Ref`, `Fn::GetAtt`, `${Name}` / `${Name.Attr}` in `Fn::Sub`, `DependsOn`, conditions.
 *
 * @example
 * const problems = validateTemplate(template, await loadCfnSpec());
 * expect(problems, formatProblems(problems)).toEqual([]);
 */
export function validateTemplate(template: CfnTemplate, db: SpecDatabase): SpecProblem[] {
  return new TemplateValidator(template, db).validate();
}

class TemplateValidator {
  private readonly problems: SpecProblem[] = [];
  private readonly resources: Record<string, unknown>;
  private readonly parameters: ReadonlySet<string>;
  private readonly conditions: ReadonlySet<string>;
  private readonly specByType = new Map<string, Resource | undefined>();

  constructor(
    private readonly template: CfnTemplate,
    private readonly db: SpecDatabase,
  ) {
    this.resources = isPlainObject(template.Resources) ? template.Resources : {};
    this.parameters = new Set(isPlainObject(template.Parameters) ? Object.keys(template.Parameters) : []);
    this.conditions = new Set(isPlainObject(template.Conditions) ? Object.keys(template.Conditions) : []);
  }

  validate(): SpecProblem[] {
    if (!isPlainObject(this.template.Resources) || Object.keys(this.template.Resources).length === 0) {
      this.report('Template', 'Resources', 'a template needs at least one resource');
    }
    for (const [logicalId, resource] of Object.entries(this.resources)) {
      this.checkResource(logicalId, resource);
    }
    for (const [name, condition] of Object.entries(this.template.Conditions ?? {})) {
      this.checkReferences(`Conditions.${name}`, '', condition);
    }
    for (const [name, output] of Object.entries(this.template.Outputs ?? {})) {
      this.checkReferences(`Outputs.${name}`, '', output);
    }
    return this.problems;
  }

  private report(logicalId: string, path: string, message: string): void {
    this.problems.push({ logicalId, path, message });
  }

  private specFor(cloudFormationType: string): Resource | undefined {
    if (!this.specByType.has(cloudFormationType)) {
      const found = this.db.lookup('resource', 'cloudFormationType', 'equals', cloudFormationType);
      this.specByType.set(cloudFormationType, found[0]);
    }
    return this.specByType.get(cloudFormationType);
  }

  private checkResource(logicalId: string, resource: unknown): void {
    if (!isPlainObject(resource)) {
      this.report(logicalId, '', `a resource must be an object, got ${describeValue(resource)}`);
      return;
    }
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_ATTRIBUTES.has(key)) this.report(logicalId, key, 'unknown resource attribute');
    }
    this.checkDependsOn(logicalId, resource.DependsOn);
    if (resource.Condition !== undefined) this.checkConditionName(logicalId, 'Condition', resource.Condition);

    const { Type: type, Properties: properties = {} } = resource;
    if (!isPlainObject(properties)) {
      this.report(logicalId, 'Properties', `expected an object, got ${describeValue(properties)}`);
      return;
    }
    this.checkReferences(logicalId, 'Properties', properties);

    if (typeof type !== 'string') {
      this.report(logicalId, 'Type', `expected a resource type name, got ${describeValue(type)}`);
      return;
    }
    const isCustom = type.startsWith('Custom::') || type === CUSTOM_RESOURCE_TYPE;
    const spec = this.specFor(isCustom ? CUSTOM_RESOURCE_TYPE : type);
    if (spec === undefined) {
      this.report(logicalId, 'Type', `unknown resource type ${type}`);
      return;
    }
    // A custom resource takes any property besides its ServiceToken.
    this.checkObject(logicalId, 'Properties', properties, spec.properties, { allowUnknown: isCustom });
  }

  private checkDependsOn(logicalId: string, dependsOn: unknown): void {
    if (dependsOn === undefined) return;
    const names = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
    names.forEach((name, index) => {
      const path = Array.isArray(dependsOn) ? `DependsOn[${index}]` : 'DependsOn';
      if (typeof name !== 'string')
        this.report(logicalId, path, `expected a logical id, got ${describeValue(name)}`);
      else if (!(name in this.resources))
        this.report(logicalId, path, `depends on ${name}, which is not a resource`);
    });
  }

  private checkConditionName(logicalId: string, path: string, name: unknown): void {
    if (typeof name !== 'string' || !this.conditions.has(name)) {
      const quoted = typeof name === 'string' ? JSON.stringify(name) : describeValue(name);
      this.report(logicalId, path, `names condition ${quoted}, which is not in Conditions`);
    }
  }

  // ---- property values against the spec ------------------------------------------------------------------------

  private checkObject(
    logicalId: string,
    path: string,
    value: Record<string, unknown>,
    properties: Record<string, Property>,
    { allowUnknown = false }: { allowUnknown?: boolean } = {},
  ): void {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required === true && value[name] === undefined) {
        this.report(logicalId, `${path}.${name}`, 'missing required property');
      }
    }
    for (const [name, propertyValue] of Object.entries(value)) {
      const property = properties[name];
      if (property === undefined) {
        if (!allowUnknown) this.report(logicalId, `${path}.${name}`, 'unknown property');
        continue;
      }
      // The spec keeps the types a property had before: CloudFormation still accepts them.
      const types = [property.type, ...(property.previousTypes ?? [])];
      this.checkValue(logicalId, `${path}.${name}`, propertyValue, { type: 'union', types });
    }
  }

  private checkValue(logicalId: string, path: string, value: unknown, type: PropertyType): void {
    if (isIntrinsic(value)) return;
    const expected = () => `expected ${this.describeType(type)}, got ${describeValue(value)}`;
    switch (type.type) {
      case 'string':
      case 'date-time':
        if (!isScalar(value)) this.report(logicalId, path, expected());
        return;
      case 'number':
        if (!isNumeric(value)) this.report(logicalId, path, expected());
        return;
      case 'integer':
        if (!isNumeric(value) || !Number.isInteger(Number(value))) this.report(logicalId, path, expected());
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
          this.report(logicalId, path, expected());
        return;
      case 'json':
      case 'null':
        return;
      case 'tag':
        if (!isPlainObject(value)) this.report(logicalId, path, expected());
        else this.checkObject(logicalId, path, value, TAG_PROPERTIES);
        return;
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference);
        if (!isPlainObject(value)) this.report(logicalId, path, expected());
        else this.checkObject(logicalId, path, value, definition.properties);
        return;
      }
      case 'array':
        if (!Array.isArray(value)) this.report(logicalId, path, expected());
        else {
          for (const [index, element] of value.entries()) {
            this.checkValue(logicalId, `${path}[${index}]`, element, type.element);
          }
        }
        return;
      case 'map':
        if (!isPlainObject(value)) this.report(logicalId, path, expected());
        else {
          for (const [key, element] of Object.entries(value)) {
            this.checkValue(logicalId, `${path}.${key}`, element, type.element);
          }
        }
        return;
      case 'union':
        this.checkUnion(logicalId, path, value, type.types);
        return;
    }
  }

  /** Fine when one member type fits; otherwise reports what the closest member type found. */
  private checkUnion(logicalId: string, path: string, value: unknown, types: readonly PropertyType[]): void {
    let closest: SpecProblem[] | undefined;
    for (const member of types) {
      const attempt = new TemplateValidator(this.template, this.db);
      attempt.checkValue(logicalId, path, value, member);
      if (attempt.problems.length === 0) return;
      if (closest === undefined || attempt.problems.length < closest.length) closest = attempt.problems;
    }
    this.problems.push(...(closest ?? []));
  }

  private describeType(type: PropertyType): string {
    switch (type.type) {
      case 'ref':
        return `${this.db.get('typeDefinition', type.reference).name} (object)`;
      case 'array':
        return `list of ${this.describeType(type.element)}`;
      case 'map':
        return `map of ${this.describeType(type.element)}`;
      case 'union':
        return [...new Set(type.types.map((member) => this.describeType(member)))].join(' or ');
      case 'tag':
        return 'tag ({ Key, Value })';
      default:
        return type.type;
    }
  }

  // ---- references ------------------------------------------------------------------------------------------------

  /** Walks any value and checks the names each intrinsic function refers to. */
  private checkReferences(logicalId: string, path: string, value: unknown): void {
    if (Array.isArray(value)) {
      for (const [index, element] of value.entries()) {
        this.checkReferences(logicalId, `${path}[${index}]`, element);
      }
      return;
    }
    if (!isPlainObject(value)) return;
    const here = (key: string) => (path === '' ? key : `${path}.${key}`);
    const [[name, argument] = [], ...others] = Object.entries(value);
    // `{ Condition: name }` is how one condition uses another (Fn::And, Fn::Or, Fn::Not): only in Conditions.
    const inConditions = logicalId.startsWith('Conditions.');
    if (inConditions && name === 'Condition' && others.length === 0 && typeof argument === 'string') {
      this.checkConditionName(logicalId, here('Condition'), argument);
      return;
    }
    if (name !== undefined && isIntrinsic(value)) {
      if (name === 'Ref') this.checkRef(logicalId, here('Ref'), argument);
      else if (name === 'Fn::GetAtt') this.checkGetAtt(logicalId, here('Fn::GetAtt'), argument);
      else if (name === 'Fn::Sub') this.checkSub(logicalId, here('Fn::Sub'), argument);
      else {
        if (name === 'Fn::If' && Array.isArray(argument)) {
          this.checkConditionName(logicalId, here('Fn::If[0]'), argument[0]);
        }
        this.checkReferences(logicalId, here(name), argument);
      }
      return;
    }
    for (const [key, element] of Object.entries(value)) this.checkReferences(logicalId, here(key), element);
  }

  private checkRef(logicalId: string, path: string, target: unknown): void {
    if (typeof target !== 'string') {
      this.report(logicalId, path, `Ref takes a logical id, got ${describeValue(target)}`);
    } else if (!this.isReferable(target)) {
      this.report(
        logicalId,
        path,
        `Ref to ${target}, which is not a resource, a parameter or a pseudo parameter`,
      );
    }
  }

  private checkGetAtt(logicalId: string, path: string, argument: unknown): void {
    let target: unknown;
    let attribute: unknown;
    if (typeof argument === 'string') {
      const dot = argument.indexOf('.');
      [target, attribute] =
        dot < 0 ? [argument, undefined] : [argument.slice(0, dot), argument.slice(dot + 1)];
    } else if (Array.isArray(argument) && argument.length === 2) {
      [target, attribute] = argument;
    }
    if (typeof target !== 'string' || attribute === undefined) {
      this.report(logicalId, path, `Fn::GetAtt takes [logicalId, attribute], got ${describeValue(argument)}`);
      return;
    }
    // The attribute name may come from a parameter: only a literal one can be checked.
    this.checkAttribute(logicalId, path, target, typeof attribute === 'string' ? attribute : undefined);
    if (typeof attribute !== 'string') this.checkReferences(logicalId, `${path}[1]`, attribute);
  }

  private checkSub(logicalId: string, path: string, argument: unknown): void {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    if (typeof text !== 'string' || !isPlainObject(variables)) {
      this.report(
        logicalId,
        path,
        `Fn::Sub takes a string or [string, variables], got ${describeValue(argument)}`,
      );
      return;
    }
    this.checkReferences(logicalId, `${path}[1]`, variables);
    for (const [, expression = ''] of text.matchAll(/\$\{([^}]*)\}/g)) {
      const name = expression.trim();
      if (name.startsWith('!') || name in variables) continue;
      const dot = name.indexOf('.');
      if (dot < 0) {
        if (!this.isReferable(name)) {
          this.report(logicalId, path, `\${${name}} names no resource, parameter or pseudo parameter`);
        }
      } else {
        this.checkAttribute(logicalId, path, name.slice(0, dot), name.slice(dot + 1), `\${${name}}`);
      }
    }
  }

  private checkAttribute(
    logicalId: string,
    path: string,
    target: string,
    attribute: string | undefined,
    quoted = `Fn::GetAtt ${target}${attribute === undefined ? '' : `.${attribute}`}`,
  ): void {
    const resource = this.resources[target];
    if (!isPlainObject(resource)) {
      this.report(logicalId, path, `${quoted} names ${target}, which is not a resource`);
      return;
    }
    const type = resource.Type;
    if (attribute === undefined || typeof type !== 'string') return;
    if (type.startsWith('Custom::') || type === CUSTOM_RESOURCE_TYPE) return;
    if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
    const spec = this.specFor(type);
    if (spec !== undefined && !(attribute in spec.attributes)) {
      const known = Object.keys(spec.attributes).join(', ') || 'none';
      this.report(logicalId, path, `${quoted}: ${type} has no attribute ${attribute} (it has: ${known})`);
    }
  }

  private isReferable(name: string): boolean {
    return name in this.resources || this.parameters.has(name) || PSEUDO_PARAMETERS.has(name);
  }
}

const TAG_PROPERTIES: Record<string, Property> = {
  Key: { type: { type: 'string' }, required: true },
  Value: { type: { type: 'string' }, required: true },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isNumeric(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}
