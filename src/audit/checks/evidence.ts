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

const errorKeys = new Set(['error', 'errors', 'message', 'code', 'status', 'statuscode', 'detail', 'title', 'type', 'instance', 'success', 'ok', 'requestid']);
const denialText = /unauthori[sz]ed|forbidden|access denied|not allowed|permission|login required|invalid token|not authenticated/i;

/**
 * Whether an answer actually handed over data. Judged by effect, not status: some APIs deny with
 * 200 and an error body, so an error-shaped or empty body counts as a denial too.
 */
export function servedData(response: AuditResponse | undefined): boolean {
  if (!response || response.status < 200 || response.status >= 300) return false;
  const text = response.bodyText.trim();
  if (text === '') return false;
  const json = response.json;
  if (json === undefined) return !(text.length < 300 && denialText.test(text));
  if (Array.isArray(json)) return json.length > 0;
  if (typeof json !== 'object' || json === null) return true;
  const record = json as Record<string, unknown>;
  if (record.success === false || record.ok === false) return false;
  // `{ "status": "success", "message": "…" }` reads like an error document but says the opposite.
  if (record.success === true || record.ok === true || (typeof record.status === 'string' && /^(success|succeeded|ok|created|done)$/i.test(record.status))) return true;
  const keys = Object.keys(record).map((k) => k.toLowerCase());
  if (keys.length === 0) return false;
  const errorShaped = keys.every((k) => errorKeys.has(k)) && (keys.includes('error') || keys.includes('errors') || keys.includes('message'));
  if (errorShaped) return false;
  // A wrapper such as { items: [] } with nothing else is an empty list.
  return leaves(json).length > 0;
}

/** A refusal by effect: an error status, or a 2xx whose body is an error document. Empty 2xx answers are not refusals. */
export function refused(response: AuditResponse | undefined): boolean {
  if (!response || response.status < 200 || response.status >= 300) return true;
  return response.bodyText.trim() !== '' && !servedData(response) && !isEmptyCollection(response.json);
}

function isEmptyCollection(json: unknown): boolean {
  if (Array.isArray(json)) return json.length === 0;
  return typeof json === 'object' && json !== null && leaves(json).length === 0;
}

/** Field names that usually hold personal or secret data. */
const sensitiveNames = ['email', 'mail', 'birth', 'dob', 'weight', 'height', 'phone', 'mobile', 'address', 'street', 'postal', 'zip', 'password', 'passwd', 'token', 'secret', 'ssn', 'gender', 'latitude', 'longitude'];

export function looksSensitive(key: string): boolean {
  const lower = key.toLowerCase();
  return sensitiveNames.some((name) => lower.includes(name));
}
