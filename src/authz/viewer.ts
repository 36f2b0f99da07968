import type { CredentialKind, Role } from '../db/schema.js';
import type { Scope } from './scopes.js';

/**
 * Who is asking. Every data access is made on behalf of a Viewer; there is no "unscoped" access
 * for request handlers. `system` exists for jobs (migrations, seeding, the CLI) and must state why.
 */
export type Viewer = AnonymousViewer | UserViewer | SystemViewer;

export interface AnonymousViewer {
  readonly kind: 'anonymous';
}

export interface UserViewer {
  readonly kind: 'user';
  readonly userId: string;
  readonly role: Role;
  readonly scopes: ReadonlySet<Scope>;
  readonly credentialId: string;
  readonly credentialKind: CredentialKind;
  /** The member's security stamp that the credential carries; what it makes carries it too. */
  readonly securityStamp: string;
}

export interface SystemViewer {
  readonly kind: 'system';
  readonly reason: string;
}

export const anonymousViewer: AnonymousViewer = Object.freeze({ kind: 'anonymous' });

export function systemViewer(reason: string): SystemViewer {
  if (reason.trim().length === 0) throw new Error('a system viewer must state its reason');
  return Object.freeze({ kind: 'system', reason });
}
