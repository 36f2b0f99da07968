import { Type } from 'typebox';
import { allScopes } from '../../authz/scopes.js';
import { Id, Nullable, PageOf, Timestamp, Username } from './common.js';
import { UserCard, UserSelf } from './users.js';

export const Email = Type.String({ format: 'email', maxLength: 254 });

/** Password rules are checked by the auth service too (common-password list); the schema states the length. */
export const NewPassword = Type.String({ minLength: 12, maxLength: 128, description: '12 to 128 characters, not a commonly used password.' });

/** Presented passwords are only bounded, so an old or mistyped password still gets the generic answer. */
export const PresentedPassword = Type.String({ minLength: 1, maxLength: 1024 });

export const RegisterBody = Type.Object(
  { username: Username, email: Email, password: NewPassword, displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })) },
  { additionalProperties: false, title: 'RegisterRequest' },
);

export const RegisterResponse = Type.Object({ user: UserSelf }, { additionalProperties: false, title: 'RegisterResponse' });

export const LoginBody = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: 254, description: 'Username or email.' }), password: PresentedPassword },
  { additionalProperties: false, title: 'LoginRequest' },
);

export const LoginResponse = Type.Object(
  { token: Type.String(), tokenType: Type.Literal('Bearer'), expiresAt: Timestamp, user: UserCard },
  { additionalProperties: false, title: 'LoginResponse' },
);

export const PasswordChangeBody = Type.Object(
  { currentPassword: PresentedPassword, newPassword: NewPassword },
  { additionalProperties: false, title: 'PasswordChangeRequest' },
);

export const DeleteAccountBody = Type.Object({ password: PresentedPassword }, { additionalProperties: false, title: 'DeleteAccountRequest' });

export const Scope = Type.Union([
  Type.Literal('profile:read'),
  Type.Literal('profile:write'),
  Type.Literal('workouts:read'),
  Type.Literal('workouts:write'),
  Type.Literal('social:write'),
]);

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: allScopes.length, uniqueItems: true }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 90 })),
  },
  { additionalProperties: false, title: 'CreateTokenRequest' },
);

const tokenProperties = { id: Id, name: Type.String(), scopes: Type.Array(Scope), expiresAt: Timestamp };

export const CreatedToken = Type.Object(
  { ...tokenProperties, token: Type.String({ description: 'Shown once; store it now.' }) },
  { additionalProperties: false, title: 'CreatedToken' },
);

export const TokenItem = Type.Object(
  { ...tokenProperties, createdAt: Timestamp, lastUsedAt: Timestamp },
  { additionalProperties: false, title: 'PersonalAccessToken' },
);

export const SessionItem = Type.Object(
  { id: Id, createdAt: Timestamp, lastUsedAt: Timestamp, userAgent: Nullable(Type.String()), current: Type.Boolean() },
  { additionalProperties: false, title: 'Session' },
);

export const TokenPage = PageOf(TokenItem, 'TokenPage');
export const SessionPage = PageOf(SessionItem, 'SessionPage');

export const SessionIdParams = Type.Object({ sessionId: Id }, { additionalProperties: false });
export const TokenIdParams = Type.Object({ tokenId: Id }, { additionalProperties: false });
