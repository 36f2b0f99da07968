import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDate, isDateTime } from '../src/http/formats.js';

const padded = (min: number, max: number, width = 2) => fc.integer({ min, max }).map((n) => String(n).padStart(width, '0'));

/** Strings shaped like RFC 3339 date-times, each field ranging just past its bounds. */
const dateTimeLike = fc
  .tuple(
    fc.oneof(padded(0, 9999, 4), fc.constantFrom('0000', '9999')),
    padded(0, 13),
    padded(0, 32),
    fc.constantFrom('T', 't', ' '),
    padded(0, 24),
    padded(0, 60),
    padded(0, 61),
    fc.constantFrom('', '.5', '.123456789'),
    fc.constantFrom('Z', 'z', '+', '-', ''),
    padded(0, 24),
    padded(0, 60),
  )
  .map(([y, mo, d, sep, h, mi, s, frac, zone, oh, om]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${frac}${zone === '+' || zone === '-' ? `${zone}${oh}:${om}` : zone}`);

describe('date and time formats', () => {
  it('admit only date-times that Date holds exactly, as four-digit-year ISO text', () => {
    let accepted = 0;
    fc.assert(
      fc.property(dateTimeLike, (value) => {
        if (!isDateTime(value)) return;
        accepted++;
        const text = new Date(value).toISOString();
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }),
      { seed: 20_161_231, numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(1_000);
  });

  it('refuse leap seconds, impossible dates and partial forms that ajv-formats admits', () => {
    for (const value of ['2016-12-31T23:59:60Z', '2016-12-31T22:59:60-01:00', '2020-02-30T00:00:00Z', '2020-01-01 00:00:00Z', '2020-01-01T00:00:00+2359', '2020-01-01T00:00:00', '0000-01-01T00:00:00+01:00', '9999-12-31T23:59:59-00:01', '2020-01-01T24:00:00Z']) {
      expect(isDateTime(value), value).toBe(false);
    }
    for (const value of ['2016-12-31T23:59:59Z', '2020-02-29T12:00:00.5+05:30', '2020-01-01t00:00:00z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z']) {
      expect(isDateTime(value), value).toBe(true);
    }
  });

  it('admit calendar dates only', () => {
    for (const value of ['2020-02-29', '2021-12-31', '0000-01-01']) expect(isDate(value), value).toBe(true);
    for (const value of ['2021-02-29', '2021-13-01', '2021-00-10', '2021-1-1', '2021-01-01T00:00:00Z']) expect(isDate(value), value).toBe(false);
  });
});
