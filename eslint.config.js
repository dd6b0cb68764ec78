// ESLint over src, test, bench and scripts: typescript-eslint's type-checked rules (they see every
// promise and every `any` as the compiler does) and import-x's check for import cycles.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'bench/results/', '.conformance/', 'data/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver()],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'import-x/no-cycle': 'error',
      // The compiler (checkJs for the .mjs files) already reports undefined names, with Node's globals known.
      'no-undef': 'off',
      // Fastify's hooks, handlers and plugins, Kysely's migration provider and our Authenticator are
      // async by contract: there an async function without await is how a value or a throw becomes a promise.
      '@typescript-eslint/require-await': 'off',
      // A microversion prints as "1.39", as OpenStack writes it.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'file', name: 'Version', path: 'src/common/http/microversion.ts' },
          ],
        },
      ],
      // A leading underscore marks a binding kept on purpose, e.g. a property left out of a rest object.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // The domain (objects/) knows nothing of HTTP: it throws the service's domain exceptions
    // (exceptions.ts), which api/ and errors.ts turn into the service's error bodies.
    files: ['src/*/objects/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^fastify$|/common/http/|(^|/)api/|(^|/)(http|errors|service)\\.js$',
              message: 'objects/ holds the domain rules: no HTTP (throw a domain exception from exceptions.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests read JSON bodies, which are `any`, and check them with expect(); typing every body
      // would only restate the assertions. The promise, cycle and other rules still apply.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs'],
    rules: {
      // The scripts read JSON (files, HTTP answers), which is `any`; ESLint does not see JSDoc casts
      // such as `/** @type {T} */ (JSON.parse(...))`, so these would flag every use. tsc (checkJs)
      // still checks the types the scripts declare.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Two lines that import the build output (dist/), which is not part of the TypeScript project.
    files: ['bin/**'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
