/** Scopes a personal access token can hold. A login session holds them all. */
export const allScopes = ['profile:read', 'profile:write', 'workouts:read', 'workouts:write', 'social:write'] as const;

export type Scope = (typeof allScopes)[number];

export function isScope(value: string): value is Scope {
  return (allScopes as readonly string[]).includes(value);
}
