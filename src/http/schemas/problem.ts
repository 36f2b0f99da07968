import { Type } from 'typebox';

/** RFC 9457 problem document: the only error shape Paceline emits. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }))),
  },
  { additionalProperties: false, title: 'Problem' },
);

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** Error responses every route documents, with the media type they are really sent as. */
export const problemResponses = {
  400: problem('The request is not valid.'),
  401: problem('Authentication is required, or the token is malformed, expired or revoked.'),
  403: problem('The caller may see the object but not do this (missing scope, private profile, not an administrator).'),
  404: problem('No such object, or one the caller may not see.'),
  409: problem('Conflict.'),
  413: problem('The body is over the limit.'),
  429: problem('Too many requests; see Retry-After.'),
} as const;

export const unavailableResponse = problem('The service is not ready.');
