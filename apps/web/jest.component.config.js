// Component tests: forms and dialogs rendered in jsdom with Testing Library, the API client
// mocked at the network (fetch) so the real hooks, validation and DTOs run.
// Run with NODE_OPTIONS=--experimental-vm-modules: @keyward/shared is an ES module.
export default {
  displayName: 'web-components',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
  testEnvironment: 'jsdom',
  setupFiles: ['<rootDir>/src/test/setup.ts'],
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        swcrc: false,
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic' } },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  // Styles mean nothing to jsdom.
  moduleNameMapper: { '\\.css$': '<rootDir>/src/test/style-stub.ts' },
  maxWorkers: 1,
};
