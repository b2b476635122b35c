import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../support/api-event.js';

/** `shared/observability.ts` as a function's cold start would load it, with `POWERTOOLS_TRACE_ENABLED` as given. */
async function loadObservability(traceEnabled: string | undefined) {
  vi.resetModules();
  if (traceEnabled === undefined) vi.stubEnv('POWERTOOLS_TRACE_ENABLED', undefined);
  else vi.stubEnv('POWERTOOLS_TRACE_ENABLED', traceEnabled);
  return import('../../shared/observability.js');
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('tracing', () => {
  it.each(['false', 'FALSE', '0'])(
    'loads no Tracer and gives Middy no middleware where POWERTOOLS_TRACE_ENABLED is %s (the local stage)',
    async (turnedOff) => {
      // Prepare
      const { tracer, traceHandler, annotateTrace } = await loadObservability(turnedOff);

      // Act
      const handler = middy(async () => 'handled').use(traceHandler());
      const answer = await handler({}, lambdaContext());
      annotateTrace({ orderId: 'order-1', correlationId: 'demo-1' });

      // Assess
      expect(tracer).toBeUndefined();
      expect(traceHandler()).toEqual([]);
      expect(answer).toBe('handled');
    },
  );

  it.each([undefined, 'true'])(
    "captures the handler's segment where POWERTOOLS_TRACE_ENABLED is %s (a deployed stage)",
    async (turnedOn) => {
      // Prepare
      const { tracer, traceHandler } = await loadObservability(turnedOn);

      // Act
      const middlewares = traceHandler();
      const answer = await middy(async () => 'handled').use(middlewares)({}, lambdaContext());

      // Assess
      expect(tracer?.constructor.name).toBe('Tracer');
      expect(middlewares).toHaveLength(1);
      expect(middlewares[0]?.before).toBeTypeOf('function');
      expect(answer).toBe('handled');
    },
  );
});
