import type { AuditResponse } from '../http-client.js';

export interface Leaf {
  /** Dotted path, array indexes dropped, so list items compare by field. */
  path: string;
  /** The last property name. */
  key: string;
  value: string;
}

/** Every primitive value in a JSON document with the property that holds it. */
export function leaves(json: unknown, prefix = '', key = ''): Leaf[] {
  if (json === null || json === undefined) return [];
  if (Array.isArray(json)) return json.flatMap((item) => leaves(item, prefix, key));
  if (typeof json === 'object') {
    return Object.entries(json as Record<string, unknown>).flatMap(([name, value]) =>
      leaves(value, prefix === '' ? name : `${prefix}.${name}`, name),
    );
  }
  return [{ path: prefix, key, value: String(json) }];
}

/** Keys of an error or status envelope: they describe the answer, they are not data. */
const envelopeKeys = new Set([
  'error', 'errors', 'err', 'message', 'msg', 'reason', 'description', 'error_description', 'code', 'errorcode', 'error_code',
  'status', 'statuscode', 'status_code', 'detail', 'title', 'type', 'instance', 'success', 'ok', 'requestid', 'timestamp', 'path',
]);
const errorWords = new Set(['error', 'errors', 'err', 'message', 'msg', 'detail', 'reason', 'error_description']);
const denialText = /unauthori[sz]ed|forbidden|access denied|not allowed|permission|login required|invalid token|not authenticated/i;

/**
 * Whether the body says the request failed, whatever the status: `success: false`, a status of
 * 400 or more inside the body, or a body made only of error and envelope fields.
 */
function saysError(record: Record<string, unknown>): boolean {
  if (record.success === false || record.ok === false) return true;
  if (saysSuccess(record)) return false;
  for (const key of ['status', 'statusCode', 'status_code', 'code']) {
    const value = record[key];
    if ((typeof value === 'number' || (typeof value === 'string' && /^\d{3}$/.test(value))) && Number(value) >= 400 && Number(value) < 600) return true;
  }
  if (typeof record.status === 'string' && /^(error|fail|failed|failure|denied|forbidden|unauthori[sz]ed)$/i.test(record.status)) return true;
  const keys = Object.keys(record).map((k) => k.toLowerCase());
  return keys.length > 0 && keys.every((k) => envelopeKeys.has(k)) && keys.some((k) => errorWords.has(k));
}

function saysSuccess(record: Record<string, unknown>): boolean {
  return record.success === true || record.ok === true || (typeof record.status === 'string' && /^(success|succeeded|ok|created|done)$/i.test(record.status));
}

/**
 * Whether an answer actually handed over data. Judged by effect, not status: some APIs deny with
 * 200 and an error body, so an error-shaped or empty body counts as a denial too, and a body of
 * envelope fields only (`{ "status": "success", "message": "…" }`) carries no data.
 */
export function servedData(response: AuditResponse | undefined): boolean {
  if (!response || response.status < 200 || response.status >= 300) return false;
  const text = response.bodyText.trim();
  if (text === '') return false;
  const json = response.json;
  // An HTML page from a JSON API is a fallback or an error page, not the data asked for.
  if (json === undefined) return !/text\/html/i.test(response.headers['content-type'] ?? '') && !(text.length < 300 && denialText.test(text));
  if (Array.isArray(json)) return json.length > 0;
  if (typeof json !== 'object' || json === null) return true;
  const record = json as Record<string, unknown>;
  if (saysError(record)) return false;
  // Envelope fields aside, something must be left: `{ items: [] }` is an empty list.
  const data = Object.entries(record).filter(([key]) => !envelopeKeys.has(key.toLowerCase()));
  return leaves(Object.fromEntries(data)).length > 0;
}

/** A refusal by effect: an error status, or a 2xx whose body says it failed. Empty or success-only 2xx answers are not refusals. */
export function refused(response: AuditResponse | undefined): boolean {
  if (!response || response.status < 200 || response.status >= 300) return true;
  const json = response.json;
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) return saysError(json as Record<string, unknown>);
  if (json !== undefined) return false;
  const text = response.bodyText.trim();
  return text !== '' && text.length < 300 && denialText.test(text);
}


/** Field names that usually hold personal or secret data. */
const sensitiveNames = ['email', 'mail', 'birth', 'dob', 'weight', 'height', 'phone', 'mobile', 'address', 'street', 'postal', 'zip', 'password', 'passwd', 'token', 'secret', 'ssn', 'gender', 'latitude', 'longitude'];

export function looksSensitive(key: string): boolean {
  const lower = key.toLowerCase();
  return sensitiveNames.some((name) => lower.includes(name));
}
