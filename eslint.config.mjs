// ESLint for the TypeScript sources and tests: typescript-eslint's recommended type-checked rules,
// with type information from tsconfig.dev.json (the one config that covers the TypeScript of the repository).
// Run by `npm test` (and `npm run lint`).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Only the TypeScript is linted: the rest is build output, YAML, shell or small Node scripts.
  globalIgnores(['**/*', '!src/', '!src/**', '!test/', '!test/**', '!examples/', '!examples/typescript/', '!examples/typescript/**', '!bench/', '!bench/**', 'test/**/__snapshots__/']),
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: './tsconfig.dev.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // As tsc's noUnusedLocals: leaving out keys by destructuring (`const { a: _a, ...rest } = o`) is fine.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // Tests and their harnesses read synthesized manifests and API-server replies, which are untyped
    // JSON (`Testing.synth()` returns `any[]`); the assertion on each value is the check there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
