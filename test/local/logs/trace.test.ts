import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FunctionLogEntry, openFunctionLog, readFunctionLog } from '../../../local/logs/function-log.js';
import { readableLine } from '../../../local/logs/readable-line.js';
import { formatTraceLine, traceOf } from '../../../local/logs/trace.js';

const ORDER = '4f1c2a3e-8b9d-4e0f-9a1b-2c3d4e5f6a7b';
const OTHER = '7d8e9f0a-1b2c-4d3e-9f4a-5b6c7d8e9f0a';

const entry = (fn: string, fields: Record<string, unknown>, at = 0): FunctionLogEntry => ({
  fn: `orderflow-local-${fn}`,
  at,
  line: JSON.stringify({ level: 'INFO', ...fields }),
});

describe('traceOf: the log lines of one order', () => {
  it('keeps the order’s lines and its requests’ lines without the id, across functions, in time order', () => {
    // Prepare
    const entries = [
      entry('notifyCustomer', {
        message: 'Status published',
        orderId: ORDER,
        correlationId: 'demo-1',
        timestamp: '2026-12-02T10:00:03.000Z',
      }),
      entry('createOrder', {
        message: 'Request refused',
        correlationId: 'demo-1',
        timestamp: '2026-12-02T10:00:00.500Z',
      }),
      entry('createOrder', {
        message: 'Request answered',
        orderId: ORDER,
        correlationId: 'demo-1',
        timestamp: '2026-12-02T10:00:01.000Z',
      }),
      entry('processOrder', {
        message: 'Event applied',
        orderId: OTHER,
        correlationId: 'demo-1',
        timestamp: '2026-12-02T10:00:02.000Z',
      }),
      entry('processOrder', {
        message: 'Event applied',
        orderId: ORDER,
        correlationId: 'demo-1',
        timestamp: '2026-12-02T10:00:02.000Z',
      }),
      entry('aggregateAnalytics', {
        message: 'Counted',
        orderId: ORDER,
        timestamp: '2026-12-02T10:00:02.000Z',
      }),
      { fn: 'orderflow-local-processOrder', at: 0, line: 'not JSON: a console.log of a dependency' },
    ];

    // Act
    const trace = traceOf(entries, ORDER);

    // Assess
    expect(trace.map(({ fn, message }) => `${fn}: ${message}`)).toEqual([
      'createOrder: Request refused',
      'createOrder: Request answered',
      'processOrder: Event applied',
      'aggregateAnalytics: Counted',
      'notifyCustomer: Status published',
    ]);
  });

  it('prints a line as time, function, level, message and the keys that matter', () => {
    // Prepare
    const [line] = traceOf(
      [
        entry('processOrder', {
          message: 'Event applied',
          orderId: ORDER,
          correlationId: 'demo-1',
          seq: 2,
          timestamp: '2026-12-02T10:00:02.345Z',
        }),
      ],
      ORDER,
    );

    // Act
    const printed = line === undefined ? '' : formatTraceLine(line);

    // Assess
    expect(printed).toBe(
      '10:00:02.345  processOrder         INFO   Event applied  correlationId=demo-1  seq=2',
    );
  });
});

describe('the function log', () => {
  it('reads back what was written, skipping a torn last line', async () => {
    // Prepare
    const file = join(await mkdtemp(join(tmpdir(), 'orderflow-log-')), 'logs', 'functions.ndjson');
    const log = openFunctionLog(file, () => 42);
    log.write('orderflow-local-createOrder', '{"message":"a"}');
    log.write('orderflow-local-processOrder', 'plain text');
    await log.close();

    // Act
    const entries = await readFunctionLog(file);

    // Assess
    expect(entries).toEqual([
      { fn: 'orderflow-local-createOrder', at: 42, line: '{"message":"a"}' },
      { fn: 'orderflow-local-processOrder', at: 42, line: 'plain text' },
    ]);
  });

  it('says to start the local cloud when there is no log yet', async () => {
    await expect(readFunctionLog('/nonexistent/functions.ndjson')).rejects.toThrow(
      /start the local cloud \(npm start\)/,
    );
  });
});

describe('readableLine: what npm start prints', () => {
  it('turns an EMF blob into one line per metric set', () => {
    // Prepare
    const blob = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: 'orderflow',
            Dimensions: [['service', 'stage']],
            Metrics: [
              { Name: 'OrdersPlaced', Unit: 'Count' },
              { Name: 'ColdStart', Unit: 'Count' },
            ],
          },
        ],
      },
      service: 'orderflow',
      stage: 'local',
      OrdersPlaced: 1,
      ColdStart: 1,
    });

    // Act
    const line = readableLine(blob);

    // Assess
    expect(line).toBe(
      'metrics orderflow {service=orderflow, stage=local}: OrdersPlaced=1 Count ColdStart=1 Count',
    );
  });

  it.each(['{"level":"INFO","message":"Event applied"}', 'plain text', '{"_aws": not json'])(
    'leaves %s as it is',
    (line) => {
      expect(readableLine(line)).toBe(line);
    },
  );
});
