/**
 * A notes API whose login hashes passwords with scrypt (slow on purpose, like bcrypt or argon2)
 * and locks an account for `lockSeconds` after 5 failures in a row, then starts counting afresh.
 *
 * Flaw (`FLAW-check-then-record`): the handler checks the lock, awaits the hash, and only then
 * records the failure. One at a time the 6th attempt is refused; sent together, every attempt
 * passes the check before the first failure is written, so all of them are judged (and a right
 * password among them would get a session).
 *
 * Sound (`sound-reserves-first`): the attempt is counted as a failure before the hash is
 * awaited (a right password then clears the count), so a burst meets the same limit as a queue.
 * Everything else is sound in both.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyRequest } from 'fastify';
import { type Member, NoteStore, Sessions, type VulnerableApi, cast, identitiesFor, loginPath, mePaths, newApp, notesPaths, openapi, registerMe, registerNotes, schemes, secretsOf, serve } from './common.js';

export type LoginRaceMode = 'FLAW-check-then-record' | 'sound-reserves-first';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

const maxFailures = 5;

interface Lock {
  failures: number;
  lockedUntil: number;
}

async function hashPassword(password: string): Promise<{ salt: Buffer; hash: Buffer }> {
  const salt = randomBytes(16);
  return { salt, hash: await scryptAsync(password, salt, 64) };
}

async function verifyPassword(password: string, stored: { salt: Buffer; hash: Buffer }): Promise<boolean> {
  return timingSafeEqual(await scryptAsync(password, stored.salt, 64), stored.hash);
}

export async function startLoginRaceApi(mode: LoginRaceMode, lockSeconds: number): Promise<VulnerableApi> {
  const people = cast();
  const sessions = new Sessions();
  const hashes = new Map<string, { salt: Buffer; hash: Buffer }>();
  for (const m of people.all) hashes.set(m.username, await hashPassword(m.password));
  // Unknown usernames are hashed against too, so timing does not tell which accounts exist.
  const decoy = await hashPassword(randomBytes(12).toString('hex'));
  const locks = new Map<string, Lock>();

  const secondsLocked = (account: string): number | undefined => {
    const lock = locks.get(account);
    return lock && lock.lockedUntil > Date.now() ? Math.ceil((lock.lockedUntil - Date.now()) / 1000) : undefined;
  };
  const recordFailure = (account: string) => {
    const lock = locks.get(account) ?? { failures: 0, lockedUntil: 0 };
    lock.failures += 1;
    if (lock.failures >= maxFailures) locks.set(account, { failures: 0, lockedUntil: Date.now() + lockSeconds * 1000 });
    else locks.set(account, lock);
  };

  const auth = (req: FastifyRequest) => sessions.lookup(/^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]);
  const doc = openapi(`Notes (login throttle: ${mode})`, '3.0.3', schemes.bearer, { ...loginPath('body'), ...mePaths(false), ...notesPaths({}) });
  const app = newApp(doc);

  app.post('/auth/login', async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (typeof body?.username !== 'string' || typeof body.password !== 'string') return reply.code(400).send({ error: 'username and password required' });
    const account = body.username.toLowerCase();
    const wait = secondsLocked(account);
    if (wait !== undefined) return reply.code(429).header('retry-after', String(wait)).send({ error: 'too many failed logins' });
    if (mode === 'sound-reserves-first') recordFailure(account);
    const member: Member | undefined = people.all.find((m) => m.username === account);
    const ok = await verifyPassword(body.password, (member && hashes.get(member.username)) ?? decoy);
    if (!member || !ok) {
      // The flaw: the failure is written only now, after the await, so concurrent attempts all saw the old count.
      if (mode === 'FLAW-check-then-record') recordFailure(account);
      return reply.code(401).send({ error: 'bad credentials' });
    }
    // A right password clears the count, the reserved attempt with it.
    locks.delete(account);
    return reply.send({ token: sessions.issue(member) });
  });
  registerMe(app, { auth });
  registerNotes(app, { auth, store: new NoteStore(people) });

  const login = (m: { username: string; password: string }) => ({ login: { path: '/auth/login', json: { username: m.username, password: m.password }, token: 'body.token' } });
  return serve(app, identitiesFor(people, login, false), () => [...secretsOf(people), ...sessions.issued()]);
}
