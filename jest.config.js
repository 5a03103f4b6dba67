/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  // PGlite databases are ~100 MB of WASM heap each; two workers keep the 2-core machines busy
  // without swapping.
  maxWorkers: 2,
  // A PGlite suite leaves a large WASM heap behind; a fresh worker for the next file keeps one
  // suite's memory from leaking into another's (ICU's IDN conversion was seen failing after one).
  workerIdleMemoryLimit: '100MB',
};
