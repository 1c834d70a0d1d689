import { badInput } from "../errors.js";

/**
 * A user's deadline for a task (`createVideo(input: { cancelAfter })`): how long from its
 * creation the task may run before it is cancelled with DEADLINE_EXCEEDED.
 */

const SECOND = 1_000; // ms
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: SECOND,
  m: 60 * SECOND,
  h: 3600 * SECOND,
  d: 24 * 3600 * SECOND,
  w: 7 * 24 * 3600 * SECOND,
};

/** ISO-8601 durations without years and months, whose length depends on the calendar: P1D, PT10M, P1DT2H30M, PT1.5S. */
const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
/** the short form: one or more number-unit pairs, largest first by convention: 90s, 10m, 2h, 1d, 1h30m */
const SHORT_DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/i;
const SHORT_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gi;
/** longest input looked at: a duration is short, and the patterns should not see megabytes */
const MAX_INPUT_LENGTH = 40; // characters

/** A duration in milliseconds from ISO-8601 (`PT10M`) or the short form (`10m`); null when it is neither. */
export function parseDuration(input: string): number | null {
  const text = input.trim();
  if (text.length === 0 || text.length > MAX_INPUT_LENGTH) return null;
  const iso = ISO_DURATION.exec(text);
  if (iso) {
    const [, weeks, days, hours, minutes, seconds] = iso;
    if ([weeks, days, hours, minutes, seconds].every((part) => part === undefined)) return null; // "P" or "PT" alone
    if (/T$/i.test(text)) return null; // a time designator with no time after it
    const parts: [string | undefined, number][] = [
      [weeks, UNIT_MS.w],
      [days, UNIT_MS.d],
      [hours, UNIT_MS.h],
      [minutes, UNIT_MS.m],
      [seconds, UNIT_MS.s],
    ];
    return Math.round(parts.reduce((sum, [value, unit]) => sum + (value === undefined ? 0 : Number(value) * unit), 0));
  }
  if (!SHORT_DURATION.test(text)) return null;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(SHORT_PART)) ms += Number(value) * UNIT_MS[unit.toLowerCase()];
  return Math.round(ms);
}

/** "24 h", "90 min", "45 s": a bound in words for an error message. */
function describeMs(ms: number): string {
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h} h`;
  if (ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m} min`;
  return `${ms / SECOND} s`;
}

/**
 * `cancelAfter` in milliseconds, checked: BAD_USER_INPUT naming the field when it is not a
 * duration, is not positive, or is longer than the server allows (MAX_CANCEL_AFTER_MS).
 */
export function parseCancelAfter(input: string, maxMs: number): number {
  const ms = parseDuration(input);
  if (ms === null) {
    throw badInput('cancelAfter must be an ISO-8601 duration such as "PT10M" or "P1D", or a short one such as "90s", "10m", "2h" or "1d"', {
      field: "cancelAfter",
    });
  }
  if (ms <= 0) throw badInput("cancelAfter must be longer than zero", { field: "cancelAfter" });
  if (ms > maxMs) throw badInput(`cancelAfter must be at most ${describeMs(maxMs)}`, { field: "cancelAfter", max: maxMs });
  return ms;
}
