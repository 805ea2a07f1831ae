// Lint rules for the TypeScript sources: typescript-eslint's type-aware strict and stylistic sets, with
// the few rules this codebase deliberately departs from turned off below (each with its reason).
// Formatting is Prettier's job; eslint-config-prettier switches off every rule that would fight it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', '.tmp/', 'packaging/', 'eslint.config.js'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Template literals interpolate numbers and booleans all over error messages and ffmpeg arguments;
      // only objects (which print as [object Object]) are a mistake.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Unused bindings are errors, but `_`-prefixed ones mark a deliberate skip.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `(x) => doSomething(x)` as a callback is the house style even when doSomething returns void.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // With noUncheckedIndexedAccess, `list[i]!` after a bounds check is the honest spelling; the
      // stylistic set's non-nullable-type-assertion-style asks for exactly that form instead of `as T`.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A failure subclass's constructor that only calls super still narrows what may be passed (the codes
      // its layer raises, no field); the rule counts it useless because it ignores parameter types.
      '@typescript-eslint/no-useless-constructor': 'off',
    },
  },
  {
    // Tests and benchmarks read parsed XML and JSON answers, which are `any` by nature; asserting on
    // them field by field is the point, so the unsafe-any family would only add casts.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
);
