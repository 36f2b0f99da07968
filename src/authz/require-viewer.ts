import type { UserViewer, Viewer } from './viewer.js';
import { AppError } from '../errors.js';

/**
 * Repositories that act for a member call this first: anything but a signed-in member is refused
 * here too, not only at the route, so a future caller that forgets the route check still fails closed.
 */
export function requireMember(viewer: Viewer): UserViewer {
  if (viewer.kind !== 'user') throw new AppError('unauthorized');
  return viewer;
}

export function requireAdmin(viewer: Viewer): UserViewer {
  const member = requireMember(viewer);
  if (member.role !== 'admin' || member.credentialKind !== 'session') throw new AppError('forbidden', { detail: 'This operation needs an administrator.' });
  return member;
}
