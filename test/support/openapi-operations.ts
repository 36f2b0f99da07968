/** Just enough JSON Schema to walk the served OpenAPI document. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  default?: unknown;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  id: string;
  method: string;
  /** The OpenAPI path, with `{name}` placeholders. */
  path: string;
  access: 'public' | 'user' | 'admin';
  pathParams: Parameter[];
  queryParams: Parameter[];
  headerParams: Parameter[];
  body: JsonSchema | null;
}

interface RawParameter {
  in: string;
  name: string;
  required?: boolean;
  schema: JsonSchema;
}

interface RawOperation {
  operationId: string;
  'x-paceline-access': Operation['access'];
  parameters?: RawParameter[];
  requestBody?: { content?: Record<string, { schema: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
}

/** Every operation of the document, in document order. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, raw]) => {
      const parameters = (where: string) => (raw.parameters ?? []).filter((p) => p.in === where).map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema }));
      return {
        id: raw.operationId,
        method: method.toUpperCase(),
        path,
        access: raw['x-paceline-access'],
        pathParams: parameters('path'),
        queryParams: parameters('query'),
        headerParams: parameters('header'),
        body: raw.requestBody?.content?.['application/json']?.schema ?? null,
      };
    }),
  );
}

/** The methods each path supports, as the document states them. */
export function methodsByPath(operations: Operation[]): Map<string, Set<string>> {
  const methods = new Map<string, Set<string>>();
  for (const operation of operations) methods.set(operation.path, (methods.get(operation.path) ?? new Set()).add(operation.method));
  return methods;
}
