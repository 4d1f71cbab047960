/** Three projects so each layer runs alone: npm run test:unit | test:integration | test:e2e. */
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  // hyparquet and hyparquet-writer ship ES modules only; Jest's CommonJS runtime loads them compiled.
  '^.+/node_modules/hyparquet[^/]*/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
};
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/global/temp-root-setup.mjs',
  globalTeardown: '<rootDir>/test/global/temp-root-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
