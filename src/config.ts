/**
 * Runtime configuration, read once from the environment (flags override it in the CLI).
 * Validated up front so a typo fails at start, not at the first request.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: string;
  trustProxy: boolean;
  securityContact: string;
}

export const defaultConfig: Config = {
  port: 3000,
  host: '127.0.0.1',
  databaseUrl: 'sqlite:./data/paceline.db',
  logLevel: 'info',
  trustProxy: false,
  securityContact: 'mailto:security@paceline.invalid',
};

export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined ? defaultConfig.port : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, got "${env.PORT}"`);
  }
  return {
    port,
    host: env.HOST ?? defaultConfig.host,
    databaseUrl: env.DATABASE_URL ?? defaultConfig.databaseUrl,
    logLevel: env.LOG_LEVEL ?? defaultConfig.logLevel,
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    securityContact: env.SECURITY_CONTACT ?? defaultConfig.securityContact,
  };
}
