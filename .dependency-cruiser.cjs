/**
 * Architecture rules, checked by `npm test` (npm run lint:deps). The first is Paceline's core
 * security rule: only the data layer may hold the database handle, so every query runs through a
 * viewer-scoped repository with its visibility rule.
 */
module.exports = {
  forbidden: [
    {
      name: 'database-handle-only-in-data-layer',
      severity: 'error',
      comment:
        'The database handle (src/db/database.ts, migrations) is the data layer\'s alone. Handlers get viewer-scoped data through request.data; the CLI and tests go through src/data/data-layer.ts.',
      from: { path: '^src/', pathNot: '^src/(data|db)/' },
      to: { path: '^src/db/', pathNot: '^src/db/schema\\.ts$' },
    },
    {
      name: 'database-drivers-only-in-db',
      severity: 'error',
      comment: 'Database drivers are opened in src/db alone.',
      from: { path: '^src/', pathNot: '^src/db/' },
      to: { path: '(^|/)node_modules/(better-sqlite3|pg)/' },
    },
    {
      name: 'auditor-is-a-black-box',
      severity: 'error',
      comment: 'paceline audit tests any API over HTTP only: src/audit imports nothing from the platform it may be pointed at.',
      from: { path: '^src/audit/' },
      to: { path: '^src/', pathNot: '^src/audit/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
