/**
 * Paceline's `date-time` and `date` formats, shared by both validators. Handlers turn these
 * values into `Date`s and store `toISOString()` text, so the schema must admit only what a Date
 * represents exactly: ajv-formats also admits leap seconds (`23:59:60`), which Date cannot hold
 * (an Invalid Date, whose toISOString throws), and space separators or offsets without a colon.
 */

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  const days = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/** A calendar date, `YYYY-MM-DD`. */
export function isDate(value: string): boolean {
  const match = datePattern.exec(value);
  return match !== null && isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * An RFC 3339 date-time with a time zone, no leap second, whose instant in UTC falls in the years
 * 0000 to 9999: timestamps are stored as ISO text and compared as text, which holds only while
 * every one has the same four-digit-year shape.
 */
export function isDateTime(value: string): boolean {
  const match = dateTimePattern.exec(value);
  if (match === null) return false;
  const [, year, month, day, hour, minute, second, , offsetHour, offsetMinute] = match.map(Number) as number[];
  if (!isCalendarDate(year!, month!, day!)) return false;
  if (hour! > 23 || minute! > 59 || second! > 59) return false;
  if (match[7] !== undefined && (offsetHour! > 23 || offsetMinute! > 59)) return false;
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) return false;
  const utcYear = instant.getUTCFullYear();
  return utcYear >= 0 && utcYear <= 9999;
}

/** Installs the formats on an Ajv instance, replacing the ajv-formats versions. */
export function addPacelineFormats(ajv: { addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown }): void {
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  ajv.addFormat('date', { type: 'string', validate: isDate });
}
