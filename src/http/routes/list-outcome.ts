import type { ListOutcome } from '../../data/users.js';
import { AppError, notFound } from '../../errors.js';

/** A list that belongs to a member: 404 when the member is not visible, 403 when only their card is. */
export function listOrThrow<T>(outcome: ListOutcome<T>) {
  if (outcome.kind === 'absent') throw notFound();
  if (outcome.kind === 'hidden') throw new AppError('private_profile', { detail: "Only this member's approved followers can see this list." });
  return outcome.page;
}
