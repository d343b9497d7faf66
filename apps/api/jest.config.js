// Two projects: fast unit specs beside the code, and HTTP tests that boot the built API as a real
// process against the database chosen by the test run (PostgreSQL or PGlite).
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
};

export default {
  maxWorkers: 2,
  // HTTP test files start real API processes (PGlite start-up alone takes a few seconds, much
  // longer on a busy machine).
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'http',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
