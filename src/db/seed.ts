import type { Database } from './database.js';

export interface SeedOptions {
  users: number;
  workoutsPerUser: number;
  followsPerUser: number;
  classes: number;
  seed: number;
}

export interface SeedProgress {
  phase: string;
  done: number;
  total: number;
}

export interface SeedSummary {
  users: number;
  follows: number;
  pendingRequests: number;
  blocks: number;
  classes: number;
  workouts: number;
  milliseconds: number;
}

/** Deterministic synthetic data (see the seed issue); being written. */
export async function seedDatabase(_database: Database, _options: SeedOptions, _onProgress?: (progress: SeedProgress) => void): Promise<SeedSummary> {
  throw new Error('seeding is not available yet');
}
