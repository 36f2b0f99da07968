import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Two validators. Bodies are checked exactly: no type coercion ("70" is not a weight), no silent
 * removal of unknown properties (they are a 400, so mass assignment is loud, never quiet).
 * Path, query and header values are text on the wire, so those are coerced to their declared types.
 */
function makeAjv(coerceTypes: boolean) {
  const ajv = new Ajv.default({ allErrors: true, coerceTypes: coerceTypes ? 'array' : false, removeAdditional: false, useDefaults: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
