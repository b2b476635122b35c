import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { PIPELINE_STATUS_PATH, type PipelineStatus } from '../../local/pipeline-status.js';
import { activityRecords, putActivity } from '../support/activity-records.js';
import {
  CHROMIUM_INSTALL_HINT,
  chromiumInstalled,
  launchChromium,
  TEST_ARTIFACTS_DIR,
} from '../support/browser.js';
import { getJson, startTestCloud } from '../support/local-cloud.js';

/**
 * The dashboard in a real browser: headless Chromium (Debian's) driven by playwright-core against the page the local
 * cloud serves, fed by MQTT over WebSocket. The page is loaded once: everything it shows arrives without a reload.
 */
const installed = chromiumInstalled();

describe.runIf(!installed && process.env.CI !== undefined)('the dashboard on CI', () => {
  it('needs Chromium, which .ci/run installs', () => {
    throw new Error(`${CHROMIUM_INSTALL_HINT}; .ci/run installs it when it runs as root`);
  });
});

if (!installed && process.env.CI === undefined)
  console.warn(`skipping the dashboard in a browser: ${CHROMIUM_INSTALL_HINT}`);

const run = promisify(execFile);
const PAGE_CUSTOMER = 'cust-browser';
/** A region no other order uses, so that its chart holds exactly the windows this test sends. */
const TEST_REGION = 'zz-browser';

let cloud: LocalCloud;
let browser: Browser;
let page: Page;

/** `curl` as a user types it: POSTs JSON with a token of `customerId`'s; the answer's status and body. */
async function curlPost(
  customerId: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = await cloud.issueToken({ sub: customerId });
  const { stdout } = await run('curl', [
    '-s',
    '-w',
    '\n%{http_code}',
    `${cloud.endpoints.http}${path}`,
    '-H',
    `authorization: Bearer ${token}`,
    '-H',
    'content-type: application/json',
    '-d',
    JSON.stringify(body),
  ]);
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
}

const card = (orderId: string) => page.locator(`li.order[data-order-id="${orderId}"]`);

/** The statuses a card shows, in the page's order (`<seq> <STATUS>`). */
async function stepsOf(orderId: string): Promise<string[]> {
  const steps = await card(orderId).locator('.step').allTextContents();
  return steps.map((step) => step.split(' ').slice(0, 2).join(' '));
}

async function placeFromThePage(quantity: number, unitPrice: number): Promise<string> {
  await page.fill('#quantity', String(quantity));
  await page.fill('#unit-price', String(unitPrice));
  await page.click('#place-order');
  await page.waitForFunction("/^Placed \\S+/.test(document.getElementById('message').textContent)");
  const message = (await page.textContent('#message')) ?? '';
  return message.split(' ')[1] ?? '';
}

async function screenshot(name: string): Promise<void> {
  await mkdir(TEST_ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(TEST_ARTIFACTS_DIR, name) });
}

const activity = activityRecords('browser-analytics', {
  customerId: 'cust-browser-analytics',
  total: 2500,
  region: TEST_REGION,
});

describe.runIf(installed)('the dashboard, in headless Chromium', () => {
  beforeAll(async () => {
    ({ cloud } = await startTestCloud());
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A browser at the API's root is sent to the dashboard.
    await page.goto(`${cloud.endpoints.http}/`);
    await page.waitForSelector('#connection[data-state="connected"]');
    expect(pageErrors).toEqual([]);
    await page.evaluate('window.loadedOnce = true');
    await page.fill('#customer', PAGE_CUSTOMER);
    await page.dispatchEvent('#customer', 'change');
  });

  afterAll(async () => {
    await browser?.close();
    await cloud?.stop();
  });

  it('draws a closed analytics window of a region as a bar of its orders with its revenue', async () => {
    // Prepare: a minute of the test's region on the stream, then a record of the next minute closes it.
    const window = [
      activity({}),
      activity({ occurredAt: '2026-01-01T10:00:40.000Z' }),
      activity({ occurredAt: '2026-01-01T10:00:50.000Z' }),
      activity({
        status: 'PAID',
        previousStatus: 'PLACED',
        total: 4500,
        occurredAt: '2026-01-01T10:00:55.000Z',
      }),
    ];
    const closing = activity({ occurredAt: '2026-01-01T10:01:05.000Z' });

    // Act
    await putActivity(cloud, window, TEST_REGION);
    await putActivity(cloud, [closing], TEST_REGION);

    // Assess
    const bar = page.locator(
      `figure[data-region="${TEST_REGION}"] rect[data-window-start="2026-01-01T10:00:00.000Z"]`,
    );
    await bar.waitFor({ timeout: 30_000 });
    expect([await bar.getAttribute('data-placed'), await bar.getAttribute('data-revenue')]).toEqual([
      '3',
      '4500',
    ]);
    expect(Number(await bar.getAttribute('height'))).toBeGreaterThan(0);
    expect(await page.locator(`figure[data-region="${TEST_REGION}"] h3`).textContent()).toContain(
      'last window 10:00: 3 placed, 1 paid',
    );
  });

  it('places an order from the page, pays it there, and shows it reach FULFILLED without a reload', async () => {
    // Act
    const orderId = await placeFromThePage(2, 1999);
    await card(orderId).locator('button[data-action="pay"]').click();

    // Assess
    await card(orderId).and(page.locator('[data-status="FULFILLED"]')).waitFor();
    expect(await stepsOf(orderId)).toEqual(['1 PLACED', '2 PAID', '3 FULFILLED']);
    expect(await card(orderId).textContent()).toContain('39.98 EUR');
    const stored = await getJson(cloud, `/orders/${orderId}`, { as: PAGE_CUSTOMER });
    expect([stored.status, stored.body.status, stored.body.customerId]).toEqual([
      200,
      'FULFILLED',
      PAGE_CUSTOMER,
    ]);
    expect(page.url()).toBe(`${cloud.endpoints.http}/_local/dashboard/`);
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
  });

  it('shows orders placed and paid with curl by other customers, ten at once, each reaching FULFILLED in order', async () => {
    // Act
    const customers = Array.from({ length: 10 }, (_, index) => `cust-curl-${index}`);
    const placed = await Promise.all(
      customers.map((customerId) =>
        curlPost(customerId, '/orders', {
          customerId,
          currency: 'USD',
          items: [{ sku: 'PEN-2', quantity: 3, unitPrice: 250 }],
        }),
      ),
    );
    expect(placed.map(({ status }) => status)).toEqual(customers.map(() => 201));
    const orderIds = placed.map(({ body }) => String(body.orderId));
    const paid = await Promise.all(
      orderIds.map((orderId, index) =>
        curlPost(customers[index] as string, `/orders/${orderId}/pay`, { amount: 750 }),
      ),
    );
    expect(paid.map(({ status }) => status)).toEqual(customers.map(() => 202));

    // Assess
    for (const orderId of orderIds) {
      await card(orderId).and(page.locator('[data-status="FULFILLED"]')).waitFor({ timeout: 30_000 });
      expect(await stepsOf(orderId)).toEqual(['1 PLACED', '2 PAID', '3 FULFILLED']);
    }
    // The page acts as cust-browser: it offers no Pay or Cancel on other customers' orders.
    expect(
      await card(orderIds[0] as string)
        .locator('button')
        .count(),
    ).toBe(0);
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
  });

  it('cancels a placed order from the page, and lists a high-value order under reviews', async () => {
    // Act
    const cancelled = await placeFromThePage(1, 500);
    await card(cancelled).locator('button[data-action="cancel"]').click();
    const reviewed = await placeFromThePage(1, 150_000);

    // Assess
    await card(cancelled).and(page.locator('[data-status="CANCELLED"]')).waitFor();
    expect(await stepsOf(cancelled)).toEqual(['1 PLACED', '2 CANCELLED']);
    const review = page.locator(`#review-list li[data-order-id="${reviewed}"]`);
    await review.waitFor();
    expect(await review.textContent()).toContain('1500.00 EUR');
  });

  it('shows every queue of the pipeline with its depths, and the counters the local cloud reports', async () => {
    // Act: the page refreshes the figures by itself.
    const status = (await (
      await fetch(`${cloud.endpoints.http}${PIPELINE_STATUS_PATH}`)
    ).json()) as PipelineStatus;
    await page.waitForFunction(
      `Number(document.querySelector('[data-counter="httpAccepted"] dd')?.textContent) >= ${status.counters.httpAccepted}`,
    );

    // Assess
    const rows = await page
      .locator('#queues tbody tr')
      .evaluateAll((found) =>
        found.map((row) => [row.getAttribute('data-queue'), row.getAttribute('data-role')]),
      );
    expect(rows).toEqual(status.queues.map((queue) => [queue.name, queue.role]));
    expect(rows).toContainEqual(['orderflow-local-fulfillment.fifo', 'queue']);
    expect(rows).toContainEqual(['orderflow-local-fulfillment-dlq.fifo', 'dlq']);
    expect(Number(await page.textContent('[data-counter="notifications"] dd'))).toBeGreaterThan(0);
    await screenshot('dashboard-1280x800.png');
  });

  it('is readable on a phone: one column, nothing wider than the screen', async () => {
    // Act
    await page.setViewportSize({ width: 390, height: 844 });
    const pageWidth = await page.evaluate('document.documentElement.scrollWidth');
    const [orders, place] = await Promise.all([
      page.locator('#orders').boundingBox(),
      page.locator('#place').boundingBox(),
    ]);

    // Assess
    expect(pageWidth).toBeLessThanOrEqual(390);
    expect(orders?.x).toBe(place?.x);
    expect(orders?.width).toBe(place?.width);
    expect(orders?.y).toBeGreaterThan((place?.y ?? 0) + (place?.height ?? 0) - 1);
    await screenshot('dashboard-phone.png');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
