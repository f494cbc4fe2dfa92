import type { Config } from 'jest';
import { pathsToModuleNameMapper } from 'ts-jest';
import ts from 'typescript';

// Path aliases live in tsconfig.json; read them from there rather than duplicating them.
const { config: tsconfig } = ts.readConfigFile('./tsconfig.json', ts.sys.readFile);
const paths = (tsconfig?.compilerOptions?.paths ?? {}) as Record<string, string[]>;

const config: Config = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  // Nest 12 ships ESM only and Node 20 has no require(esm) inside Jest, so tests run as native ESM.
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json', useESM: true }],
  },
  moduleNameMapper: pathsToModuleNameMapper(paths, { prefix: '<rootDir>/' }),
  collectCoverageFrom: ['libs/**/*.ts', 'apps/**/*.ts', '!**/index.ts', '!**/main.ts'],
  coverageDirectory: './coverage',
  testEnvironment: 'node',
  testTimeout: 20000,
};

export default config;
