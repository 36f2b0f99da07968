import { parseArgs } from 'node:util';
import { AppError } from '../errors.js';
import { type Config, configFromEnvironment } from '../config.js';
import { openDataLayer } from '../data/data-layer.js';
import { auditCommand } from './audit.js';
import { seedCommand } from './seed.js';
import { serve } from './serve.js';
import { UsageError, createUser } from './users-create.js';

const usage = `Usage: paceline <command> [options]

Commands:
  serve [--port N] [--host H] [--database-url URL] [--migrate] [--demo]
                      run the API (--migrate applies migrations first, else pending migrations stop it;
                      --demo adds demo members to an empty database)
  migrate [--database-url URL]
                      apply database migrations
  seed --users N [--workouts-per-user K] [--follows-per-user F] [--classes C] [--seed S] [--database-url URL]
                      fill an empty database with deterministic synthetic members, follows, blocks, classes
                      and workouts (defaults: K 10, F 10, C 200, S 1); the same options give the same rows
  users create --username U --email E [--role member|instructor|admin]
                      make a member; the password is read from standard input
  audit --spec <file|url> --target <base-url> --identities <file>
        [--format table|json|sarif|junit|html] [--out <file>] [--allow-writes] [--allow-destructive]
        [--concurrency N] [--rate <requests/s>] [--max-requests N] [--include <pattern>]... [--exclude <pattern>]...
                      audit an API for broken authentication and authorization (read-only by default);
                      exit 0 nothing found, 1 findings, 2 usage, spec, identity or target error

Environment: PORT (3000), HOST (127.0.0.1), DATABASE_URL (sqlite:./data/paceline.db), LOG_LEVEL, TRUST_PROXY.`;

const sharedOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  'database-url': { type: 'string' },
  migrate: { type: 'boolean' },
  demo: { type: 'boolean' },
  username: { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  users: { type: 'string' },
  'workouts-per-user': { type: 'string' },
  'follows-per-user': { type: 'string' },
  classes: { type: 'string' },
  seed: { type: 'string' },
  spec: { type: 'string' },
  target: { type: 'string' },
  identities: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  'allow-writes': { type: 'boolean' },
  'allow-destructive': { type: 'boolean' },
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  'max-requests': { type: 'string' },
  include: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

function withFlags(config: Config, values: { port?: string; host?: string; 'database-url'?: string }): Config {
  const env = { ...process.env };
  if (values.port !== undefined) env.PORT = values.port;
  if (values.host !== undefined) env.HOST = values.host;
  if (values['database-url'] !== undefined) env.DATABASE_URL = values['database-url'];
  return { ...config, ...configFromEnvironment(env) };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: sharedOptions, allowPositionals: true, strict: true });
  const [command, subcommand] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${usage}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const config = withFlags(configFromEnvironment(), values);
  switch (command) {
    case 'serve':
      await serve(config, { migrate: values.migrate ?? false, demo: values.demo ?? false });
      return -1;
    case 'migrate': {
      const data = openDataLayer(config.databaseUrl);
      try {
        const applied = await data.migrate();
        process.stdout.write(applied.length > 0 ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
      } finally {
        await data.close();
      }
      return 0;
    }
    case 'seed':
      await seedCommand(config.databaseUrl, values);
      return 0;
    case 'users':
      if (subcommand !== 'create') throw new UsageError('the users command takes: create');
      process.stdout.write(`Created ${values.role ?? 'member'} ${values.username} (${await createUser(config, values)})\n`);
      return 0;
    case 'audit':
      return auditCommand(values, { stdout: process.stdout, stderr: process.stderr });
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`paceline: ${error.message}\n${usage}\n`);
      process.exitCode = 2;
    } else if (error instanceof AppError) {
      process.stderr.write(`paceline: ${error.detail ?? error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`paceline: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
