import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN, correlationIdOf } from '../../shared/core/correlation.js';

const validId = fc.stringMatching(/^[A-Za-z0-9._:=-]{1,128}$/);

describe('the correlation id of a request', () => {
  it('is the client’s x-correlation-id when it is a valid one', () => {
    fc.assert(
      fc.property(validId, fc.string(), (header, requestId) => {
        expect(correlationIdOf(header, requestId)).toEqual({ correlationId: header, rejectedHeader: false });
      }),
    );
  });

  it('is the request id when the header is missing', () => {
    fc.assert(
      fc.property(validId, (requestId) => {
        expect(correlationIdOf(undefined, requestId)).toEqual({
          correlationId: requestId,
          rejectedHeader: false,
        });
      }),
    );
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['with a space', 'demo 1'],
    ['with an MQTT wildcard', 'demo/#'],
    ['with a newline (log injection)', 'demo\n{"level":"ERROR"}'],
    ['with a NUL byte', 'demo\u0000'],
  ])('ignores a header that is %s, and says so', (_case, header) => {
    expect(correlationIdOf(header, 'LV7fzho-PHcEJPw=')).toEqual({
      correlationId: 'LV7fzho-PHcEJPw=',
      rejectedHeader: true,
    });
  });

  it('is always safe to log, publish and put in an MQTT payload, whatever the header and request id', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
        fc.string(),
        (header, requestId) => {
          expect(correlationIdOf(header, requestId).correlationId).toMatch(CORRELATION_ID_PATTERN);
        },
      ),
    );
  });
});
