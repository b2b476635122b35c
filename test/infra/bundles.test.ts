import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, inject, it } from 'vitest';

const FUNCTIONS = [
  'createOrder',
  'getOrder',
  'payOrder',
  'cancelOrder',
  'processOrder',
  'reviewOrder',
  'aggregateAnalytics',
  'notifyCustomer',
  'redriveDlq',
] as const;

/**
 * The providers of the SDK's default credential chain that `import()` loads only when a client has no credentials
 * of its own (serverless.yml, `custom.esbuild.exclude`): no client here is without them.
 */
const LAZY_CREDENTIAL_PROVIDERS = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

/** What parsing an order event (`shared/queue/order-event-record.ts`) and an activity record say of a bad one. */
const ORDER_EVENT_MARKER = 'orderId does not match the message group';
const ACTIVITY_MARKER = 'the Kinesis data is not JSON';

/** The files of a packaged function's zip, as Lambda unpacks it. */
function zipOf(functionName: string): Record<string, Uint8Array> {
  return unzipSync(new Uint8Array(readFileSync(join(inject('packageDirs').dev, `${functionName}.zip`))));
}

/** The `.js` bundle of a packaged function. */
function bundleOf(functionName: string): string {
  const entry = Object.entries(zipOf(functionName)).find(
    ([name]) => name.startsWith('functions/') && name.endsWith('.js'),
  );
  if (entry === undefined) throw new Error(`${functionName}.zip holds no functions/*.js bundle`);
  return Buffer.from(entry[1]).toString('utf8');
}

/** What a minified ESM bundle imports statically (`import … from "x"`, `import "x"`). */
function staticImports(bundle: string): string[] {
  return [...bundle.matchAll(/\bimport\s*(?:[^"'();]*?\bfrom\s*)?["']([^"']+)["']/g)].map(
    ([, name]) => name ?? '',
  );
}

const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

describe('the packaged bundles', () => {
  it.each([
    [
      'processOrder',
      ['SequenceGapError', 'ConcurrentUpdateError', 'InvalidEventError', 'PredecessorFailedError'],
    ],
    ['createOrder', ['ValidationError', 'IdempotencyKeyReusedError', 'DependencyUnavailableError']],
  ])(
    'keep the names of the error classes %s reports (minified, yet logs name the real error)',
    (fn, names) => {
      // Act
      const bundle = bundleOf(fn);

      // Assess: each error class writes its name out, so the minifier cannot rename it.
      for (const name of names) expect(bundle).toContain(`"${name}"`);
    },
  );

  it.each([
    [
      'getOrder',
      'Powertools idempotency and its JMESPath',
      ['IdempotencyItemAlreadyExistsError', 'JMESPathError'],
    ],
    ['notifyCustomer', 'the DynamoDB client', ['DynamoDB_20120810']],
    ['notifyCustomer', 'the order-event schema of the queue consumers', [ORDER_EVENT_MARKER]],
    ['aggregateAnalytics', 'the order-event schema of the queue consumers', [ORDER_EVENT_MARKER]],
    ['reviewOrder', 'the activity schema of the stream consumers', [ACTIVITY_MARKER]],
  ])('%s carries no code it never runs: %s', (fn, _, markers) => {
    // Act
    const bundle = bundleOf(fn);

    // Assess: each marker is a string that code writes out (an error's name or message, a service's API version).
    for (const marker of markers) expect(bundle).not.toContain(marker);
  });

  it('has the markers of that code where it runs', () => {
    expect(bundleOf('createOrder')).toContain('IdempotencyItemAlreadyExistsError');
    expect(bundleOf('createOrder')).toContain('JMESPathError');
    expect(bundleOf('reviewOrder')).toContain('DynamoDB_20120810');
    expect(bundleOf('reviewOrder')).toContain(ORDER_EVENT_MARKER);
    expect(bundleOf('notifyCustomer')).toContain(ACTIVITY_MARKER);
  });

  it.each(FUNCTIONS)('%s: one bundle that imports nothing but Node built-ins at load', (fn) => {
    // Act
    const files = Object.keys(zipOf(fn));
    const imports = staticImports(bundleOf(fn));

    // Assess
    expect(files.filter((name) => name.startsWith('node_modules/'))).toEqual([]);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((name) => !isBuiltin(name))).toEqual([]);
  });

  it.each(FUNCTIONS)(
    "%s: names the SDK's other credential providers only in the import() no client reaches",
    (fn) => {
      // Act
      const bundle = bundleOf(fn);

      // Assess: left out of the bundle, every mention of each is the import() the default chain would make.
      for (const name of LAZY_CREDENTIAL_PROVIDERS) {
        expect(bundle.split(`"${name}"`).length - 1, name).toBe(bundle.split(`import("${name}")`).length - 1);
      }
      // Nor the STS and SSO clients they would call.
      expect(bundle).not.toContain('AssumeRoleWithWebIdentity');
      expect(bundle).not.toContain('GetRoleCredentials');
    },
  );
});
