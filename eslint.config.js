// npm run lint: typescript-eslint's recommended rules on the sources, tests and scripts; formatting is prettier's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'bin/', 'node_modules/', '.cache/', 'coverage/', 'test/fixtures/', 'test/kafka/', 'java/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      // The validators reject control characters on purpose: their patterns must name them.
      'no-control-regex': 'off',
      // `_`-prefixed names are the ones left out on purpose (a destructured password dropped from a copy).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
