import type { DataLayer } from '../data/data-layer.js';

export type Readiness = { ready: true } | { ready: false; reason: 'unreachable' | 'schema-behind'; error?: unknown };

/**
 * Whether this instance can serve: the database answers and has run every migration this build
 * knows. `/readyz` is polled, so the migration table is read only until the schema is seen
 * current (migrations only move forward); from then on a ready answer costs one `select 1`.
 * Concurrent polls while the schema is behind share one look-up.
 */
export function createReadinessCheck(data: Pick<DataLayer, 'ping' | 'schemaStatus'>): () => Promise<Readiness> {
  let schemaCurrent = false;
  let lookup: Promise<boolean> | undefined;

  const schemaIsCurrent = (): Promise<boolean> => {
    lookup ??= data.schemaStatus().then(
      (status) => {
        lookup = undefined;
        schemaCurrent = status.current;
        return status.current;
      },
      (error: unknown) => {
        lookup = undefined;
        throw error;
      },
    );
    return lookup;
  };

  return async () => {
    try {
      if (schemaCurrent) {
        await data.ping();
        return { ready: true };
      }
      return (await schemaIsCurrent()) ? { ready: true } : { ready: false, reason: 'schema-behind' };
    } catch (error) {
      return { ready: false, reason: 'unreachable', error };
    }
  };
}
