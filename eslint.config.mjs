// ESLint for the TypeScript sources and tests: typescript-eslint's recommended type-checked rules,
// with type information from tsconfig.dev.json (the one config that covers the TypeScript of the repository).
// Run by `npm test` (and `npm run lint`).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Only the TypeScript is linted: the rest is build output, YAML, shell or small Node scripts.
  globalIgnores(['**/*', '!src/', '!src/**', '!test/', '!test/**', '!examples/', '!examples/typescript/', '!examples/typescript/**', '!bench/', '!bench/**', '!packages/', '!packages/guard/', '!packages/guard/src/', '!packages/guard/src/**', '!packages/guard/test/', '!packages/guard/test/**',
    'test/**/__snapshots__/', 'packages/guard/test/**/__snapshots__/']),
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'packages/guard/src/**/*.ts', 'packages/guard/test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
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
    plugins: { '@stylistic': stylistic },
    rules: {
      ...stylistic.configs.customize({ indent: 2, quotes: 'single', semi: true, jsx: false, braceStyle: '1tbs', commaDangle: 'always-multiline', arrowParens: true }).rules,
      // Short lists stay on one line, long ones one item per line: a judgement per list, not a rule.
      '@stylistic/list-style': 'off',
      // Small blocks such as `{ best = c; distance = d; }` read best on one line.
      '@stylistic/max-statements-per-line': ['error', { max: 3 }],
      '@stylistic/max-len': ['error', { code: 150, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // As tsc's noUnusedLocals: leaving out keys by destructuring (`const { a: _a, ...rest } = o`) is fine.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The library reads at once: no file over 400 lines, no function over 80 (the generated declarations aside).
    files: ['src/**/*.ts', 'packages/guard/src/**/*.ts'],
    ignores: ['src/declarations.generated.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 80 }],
    },
  },
  {
    // Tests and their harnesses read synthesized manifests and API-server replies, which are untyped
    // JSON (`Testing.synth()` returns `any[]`); the assertion on each value is the check there.
    files: ['test/**/*.ts', 'packages/guard/test/**/*.ts'],
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
