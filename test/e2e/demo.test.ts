import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../local/cloud.js';
import { demoCommand } from '../../local/commands/demo-command.js';
import { getJson, startTestCloud } from '../support/local-cloud.js';

let cloud: LocalCloud;

beforeAll(async () => {
  ({ cloud } = await startTestCloud());
});

afterAll(async () => {
  await cloud?.stop();
});

describe('npm run demo', () => {
  it('tells the whole story on a cloud started for it, every step passing, its figures those of the pipeline', async () => {
    // Arrange
    const out: string[] = [];
    const err: string[] = [];
    let closed = false;

    // Act
    const code = await demoCommand(
      ['--start', '--timeout-ms', '20000'],
      {
        cloud: async (start) => {
          expect(start).toBe(true);
          return {
            http: cloud.endpoints.http,
            mqtt: cloud.endpoints.mqtt,
            token: (sub, scopes) => cloud.issueToken({ sub, scopes }),
            close: async () => {
              closed = true;
            },
          };
        },
      },
      { out: (text) => out.push(text), err: (text) => err.push(text) },
    );

    // Assess
    expect(err).toEqual([]);
    expect(code, out.join('\n')).toBe(0);
    expect(closed).toBe(true);
    const table = out.join('\n');
    const rows = table.split('\n').filter((line) => /\| (PASS|FAIL)$/.test(line));
    expect(rows.map((row) => row.split('|')[0]?.trim())).toEqual([
      'normal order',
      'idempotent replay',
      'high-value review',
      'cancel racing fulfilment',
      'warehouse scans',
    ]);
    expect(rows.every((row) => row.endsWith('PASS'))).toBe(true);
    expect(out.some((line) => line.startsWith('  · HTTP accepted '))).toBe(true);

    // The observed final states are the orders', as the API answers them now.
    const admin = { as: 'ops', scopes: ['orders/admin'] };
    for (const [title, expected] of [
      ['normal order', /^FULFILLED$/],
      ['cancel racing', /^(CANCELLED|FULFILLED)$/],
      ['warehouse scans', /^DELIVERED$/],
    ] as const) {
      const row = rows.find((candidate) => candidate.startsWith(title)) ?? '';
      const observedCell = row.split('|')[2] ?? '';
      const orderId = observedCell.match(/order (\S+):/)?.[1];
      const observed =
        observedCell.match(/final (\w+)/)?.[1] ??
        (observedCell.includes('FULFILLED heard') ? 'FULFILLED' : undefined);
      expect(orderId, row).toBeDefined();
      expect(observed, row).toMatch(expected);
      const order = await getJson(cloud, `/orders/${orderId}`, admin);
      expect(order.body.status, row).toBe(observed);
    }
  });
});
