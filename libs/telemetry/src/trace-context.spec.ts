import {
  attemptSpanId,
  parseTraceparent,
  randomSpanId,
  randomTraceId,
  upstreamTraceHeaders,
} from './trace-context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('reads a valid header and its sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
    // A later version may carry more fields.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-extra`)?.traceId).toBe(TRACE);
  });

  it.each([
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['upper case', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['extra fields on version 00', `00-${TRACE}-${SPAN}-01-x`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['two headers', [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-01`]],
  ])('ignores %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('upstream trace headers', () => {
  it('forwards the client’s headers unchanged when tracing is off', () => {
    const forward = { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'a=b' };
    const trace = { traceId: TRACE, sampled: true, forward };
    expect(attemptSpanId(trace)).toBeUndefined();
    expect(upstreamTraceHeaders(trace, undefined)).toBe(forward);
    expect(upstreamTraceHeaders(undefined, undefined)).toBeUndefined();
  });

  it('names the attempt’s span as parent when sampled, the server span otherwise', () => {
    const sampled = { traceId: TRACE, spanId: SPAN, sampled: true, tracestate: 'a=b' };
    const attempt = attemptSpanId(sampled);
    expect(attempt).toMatch(/^[0-9a-f]{16}$/);
    expect(upstreamTraceHeaders(sampled, attempt)).toEqual({
      traceparent: `00-${TRACE}-${attempt}-01`,
      tracestate: 'a=b',
    });
    const unsampled = { traceId: TRACE, spanId: SPAN, sampled: false };
    expect(attemptSpanId(unsampled)).toBeUndefined();
    expect(upstreamTraceHeaders(unsampled, undefined)).toEqual({
      traceparent: `00-${TRACE}-${SPAN}-00`,
    });
  });

  it('draws distinct random ids', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => randomSpanId()));
    expect(ids.size).toBe(2000);
    expect(randomTraceId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
