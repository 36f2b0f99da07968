import { buildApp, redactPaths } from '../http/app.js';
import type { Config } from '../config.js';
import { type DataLayer, openDataLayer } from '../data/data-layer.js';
import { createDemoContent } from './demo-members.js';

/**
 * Serving an unmigrated database would answer every data route with a 500; refusing to start
 * says what to do instead. (With --migrate the schema is brought up to date first.)
 */
async function requireCurrentSchema(data: DataLayer): Promise<void> {
  const { current, pending } = await data.schemaStatus().catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    throw new Error(`the database is not reachable${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  });
  if (current) return;
  throw new Error(
    `the database schema is behind this version (${pending.length} migration${pending.length === 1 ? '' : 's'} pending: ${pending.join(', ')}); ` +
      'run `paceline migrate` first, or start with `paceline serve --migrate`',
  );
}

/** Runs the API until SIGINT or SIGTERM. With `demo`, an empty database gets demo members first. */
export async function serve(config: Config, options: { migrate: boolean; demo: boolean }): Promise<void> {
  const data = openDataLayer(config.databaseUrl);
  try {
    if (options.migrate) await data.migrate();
    else await requireCurrentSchema(data);
  } catch (error) {
    await data.close();
    throw error;
  }
  const { members: demo, leaderboardClassId } = options.demo ? await createDemoContent(data) : { members: [], leaderboardClassId: null };
  const app = await buildApp({
    data,
    trustProxy: config.trustProxy,
    securityContact: config.securityContact,
    logger: { level: config.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } },
  });
  const address = await app.listen({ port: config.port, host: config.host });
  const base = address.replace('[::1]', 'localhost');
  const lines = [`Paceline is listening on ${base}  (interactive docs: ${base}/docs, OpenAPI: ${base}/openapi.json)`];
  if (demo.length > 0) {
    lines.push('', 'Demo members were created on this empty database. Their passwords are shown only this once:');
    for (const member of demo) lines.push(`  ${member.username.padEnd(14)} ${member.password}   ${member.description}`);
    const first = demo[0];
    if (first) {
      lines.push(
        '',
        'Log in, then send the token as `Authorization: Bearer <token>`:',
        `  curl -s ${base}/api/v1/auth/login -H 'content-type: application/json' -d '{"login":"${first.username}","password":"${first.password}"}'`,
      );
    }
    if (leaderboardClassId) {
      lines.push(
        '',
        `A leaderboard with named and "private athlete" entries (log in as ${first?.username ?? 'a member'} first):`,
        `  curl -s ${base}/api/v1/classes/${leaderboardClassId}/leaderboard -H 'authorization: Bearer <token>'`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = async () => {
    await app.close();
    await data.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
