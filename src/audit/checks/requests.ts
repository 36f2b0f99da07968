import type { AuditRequest } from '../http-client.js';
import { objectsForParameter } from '../references.js';
import { sampleParameter } from '../sample.js';
import type { Operation } from '../spec.js';
import type { AuditContext, HarvestedObject } from './context.js';

/** A value that satisfies a format check but names no real object. */
const placeholder = 'paceline-audit-0';

/**
 * A request for `op` with reference parameters taken from `chosen` (by name), then from any
 * harvested object the parameter accepts (preferring `owner`'s), then a placeholder. Required
 * header and query parameters get a neutral value so validation does not hide the authorization
 * decision. `json` becomes the body.
 */
export function buildRequest(ctx: AuditContext, op: Operation, chosen: Record<string, string> = {}, owner?: string, json?: unknown): AuditRequest {
  let path = op.path;
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const parameter of op.parameters) {
    const explicit = chosen[parameter.name];
    const candidates = explicit === undefined ? objectsForParameter(ctx.harvest.objects, op, parameter) : [];
    const value = explicit ?? preferOwner(candidates, owner)?.value;
    if (parameter.in === 'path') {
      path = path.split(`{${parameter.name}}`).join(encodeURIComponent(value ?? placeholder));
    } else if (parameter.in === 'query' && (explicit !== undefined || parameter.required)) {
      query[parameter.name] = value ?? sampleParameter(parameter.schema, parameter.name);
    } else if (parameter.in === 'header' && parameter.required) {
      headers[parameter.name] = 'paceline audit';
    }
  }
  const request: AuditRequest = { method: op.method, path };
  if (Object.keys(query).length > 0) request.query = query;
  if (Object.keys(headers).length > 0) request.headers = headers;
  if (json !== undefined) request.json = json;
  return request;
}

export function preferOwner(objects: readonly HarvestedObject[], owner?: string): HarvestedObject | undefined {
  return objects.find((o) => o.owner === owner) ?? objects[0];
}
