#!/usr/bin/env node
// The `paceline` command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('paceline: dist/ is missing; run `npm ci` (or `npm run build`) first.');
  process.exit(2);
}
await import(entry.href);
