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

/** What `serverless package --package <dir>` wrote, with the names the stack would have once deployed. */
export interface PackagedStack {
  /** Absolute path of the package directory (the function artifacts are here). */
  directory: string;
  template: StackTemplate;
  service: string;
  stage: string;
  region: string;
  /** `provider.stackName`, else serverless' default `<service>-<stage>`. */
  stackName: string;
}

export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
export const STATE_FILE = 'serverless-state.json';

/**
 * Reads the CloudFormation template and `serverless-state.json` from a `serverless package --package <dir>` output.
 * Fails with the command to run when the directory holds no package.
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
  return { directory, template: template as StackTemplate, service, stage, region, stackName };
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
