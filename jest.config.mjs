// Two projects: `unit` (pure logic and seams, no root needed) and `e2e` (the built dist/ under node 24
// against the real nix-daemon of the test bed and loopback servers).
const common = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/__tests__/testbed/global-setup.ts',
      globalTeardown: '<rootDir>/__tests__/testbed/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/__tests__/testbed/e2e-setup.ts'],
    },
  ],
};
