import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackTemplate } from '../../../local/template/packaged-stack.js';
import {
  deadLetterQueuesOf,
  loadPackagedStack,
  theJwtAuthorizer,
} from '../../../local/template/packaged-stack.js';
import { writePackageDir } from '../../support/fixture-package.js';

const REGION = 'eu-west-1';

describe('loadPackagedStack', () => {
  let packageDir: string;

  beforeAll(async () => {
    packageDir = await writePackageDir({ stackName: 'orders-pipeline' });
  });

  afterAll(async () => {
    await rm(packageDir, { recursive: true, force: true });
  });

  it('reads the template, service, stage, region and stack name of a package directory', async () => {
    // Act
    const packaged = await loadPackagedStack(packageDir);

    // Assess
    expect(packaged).toMatchObject({
      directory: packageDir,
      service: 'orderflow',
      stage: 'test',
      region: REGION,
      stackName: 'orders-pipeline',
    });
    expect(packaged.template.Resources.OrdersTable?.Type).toBe('AWS::DynamoDB::Table');
  });

  it('says which command to run when the directory holds no package', async () => {
    // Prepare
    const emptyDir = await mkdtemp(join(tmpdir(), 'orderflow-no-package-'));

    // Act
    const loading = loadPackagedStack(emptyDir);

    // Assess
    await expect(loading).rejects.toThrow(
      `Run \`npx serverless package --stage local --package ${emptyDir}\` first`,
    );
    await rm(emptyDir, { recursive: true, force: true });
  });

  it('derives the JWT authorizer local tokens are made for: its issuer and audience', async () => {
    // Act
    const packaged = await loadPackagedStack(packageDir);

    // Assess
    expect(theJwtAuthorizer(packaged)).toEqual({
      logicalId: 'HttpApiAuthorizerCustomerJwt',
      name: 'customerJwt',
      issuer: 'https://auth.orderflow.localhost/',
      audience: ['orderflow-api'],
    });
  });

  it('says when a package has no JWT authorizer, or several, to make local tokens for', () => {
    // Prepare
    const one = { logicalId: 'A', name: 'a', issuer: 'https://a.example/', audience: ['api'] };

    // Act
    const none = () => theJwtAuthorizer({ directory: '/pkg', jwtAuthorizers: [] });
    const several = () =>
      theJwtAuthorizer({ directory: '/pkg', jwtAuthorizers: [one, { ...one, name: 'b' }] });

    // Assess
    expect(none).toThrow('The package in /pkg declares no JWT authorizer with a plain-string issuer');
    expect(several).toThrow(
      'The package declares several JWT authorizers (a, b); local tokens are made for one only',
    );
  });

  it('derives the functions, queue names and dead-letter queues the template declares', async () => {
    // Act
    const packaged = await loadPackagedStack(packageDir);

    // Assess
    expect(packaged.functions.map((fn) => fn.name)).toEqual([
      'orderflow-test-createOrder',
      'orderflow-test-processOrder',
      'orderflow-test-aggregateAnalytics',
    ]);
    expect(packaged.functions[0]?.environment).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'orderflow' });
    expect(packaged.queueNames).toEqual([
      'orderflow-test-fulfillment.fifo',
      'orderflow-test-fulfillment-dlq.fifo',
      'orderflow-test-review.fifo',
      'orderflow-test-review-dlq.fifo',
      'orderflow-test-fulfillment-subscription-dlq.fifo',
      'orderflow-test-activity-failures',
    ]);
    expect(packaged.deadLetterQueues).toEqual(deadLetterQueuesOf(packaged.template));
  });
});

describe('the dead-letter queues of a stack, from its template', () => {
  it('finds the queue DLQs, the subscription DLQs and the on-failure destinations by their wiring, with the queue each redrives to', async () => {
    // Prepare
    const template = JSON.parse(
      await readFile(new URL('../fixtures/stack-template.json', import.meta.url), 'utf8'),
    ) as StackTemplate;

    // Act
    const queues = deadLetterQueuesOf(template);

    // Assess
    expect(queues).toEqual(
      expect.arrayContaining([
        {
          logicalId: 'FulfillmentDlq',
          kind: 'queue-dlq',
          queueName: 'orderflow-test-fulfillment-dlq.fifo',
          sourceLogicalId: 'FulfillmentQueue',
        },
        {
          logicalId: 'ReviewDlq',
          kind: 'queue-dlq',
          queueName: 'orderflow-test-review-dlq.fifo',
          sourceLogicalId: 'ReviewQueue',
        },
        {
          logicalId: 'FulfillmentSubscriptionDlq',
          kind: 'subscription-dlq',
          queueName: 'orderflow-test-fulfillment-subscription-dlq.fifo',
          sourceLogicalId: 'FulfillmentQueue',
        },
        { logicalId: 'ReviewSubscriptionDlq', kind: 'subscription-dlq', sourceLogicalId: 'ReviewQueue' },
        {
          logicalId: 'ActivityFailureQueue',
          kind: 'on-failure',
          queueName: 'orderflow-test-activity-failures',
        },
      ]),
    );
    expect(queues).toHaveLength(5);
  });
});
