/**
 * The layers of src/, checked by `npm test` (`depcruise src`). Type-only imports count: a cycle of types
 * still ties the modules together.
 */
const DRIVERS = [
  // driver package → the folders (or files) that adapt it; nothing else imports it
  ['amqplib', '^src/(sources/rabbitmq/|match/broker\\.ts$|destinations/brokers/rabbitmq\\.ts$)'],
  ['mqtt', '^src/sources/mqtt/'],
  ['kafkajs', '^src/(sources/kafka/|destinations/brokers/kafka\\.ts$)'],
  ['@nats-io/', '^src/(sources/nats/|log/nats-log\\.ts$|destinations/brokers/nats\\.ts$)'],
  ['mysql2', '^src/lake/datasources/'],
  ['pg', '^src/(store/postgres/|lake/datasources/)'],
  ['pg-copy-streams', '^src/store/postgres/'],
  ['@aws-sdk/', '^src/lake/s3-target\\.ts$'],
  ['@duckdb/', '^src/(store/duckdb/|lake/(writer|erase)\\.ts$)'],
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle in src/ (type-only imports included): break it by moving the shared part down.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-entry-points-below',
      severity: 'error',
      comment:
        'src/serve (the HTTP app), src/cli (the commands) and src/compose.ts (which gives each feature its ' +
        'routes) compose the rest; nothing else imports them. Health, telemetry and CSV live in src/core.',
      from: { path: '^src/', pathNot: '^src/(serve/|cli/|compose\\.ts$)' },
      to: { path: '^src/(serve|cli)/' },
    },
    ...DRIVERS.map(([pkg, allowed]) => ({
      name: `driver-${pkg.replace(/[@/]/g, '')}`,
      severity: 'error',
      comment: `${pkg} is imported only by its adapter (${allowed}), so that it loads only when configured.`,
      from: { path: '^src/', pathNot: allowed },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: `^node_modules/${pkg.replace(/\//g, '\\/')}${pkg.endsWith('/') ? '' : '(/|$)'}` },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    exclude: { path: '\\.test\\.ts$' },
  },
};
