// `npm run lint`: the rules a formatter cannot check, on every TypeScript source the formatter covers.
// Type-aware (typescript-eslint's project service: each file is checked with the tsconfig.json nearest to it, so
// src/ui and test/ui get their DOM libraries). The import boundaries of the README's "Never:" paragraph are
// dependency-cruiser's job (.dependency-cruiser.cjs), which resolves every import to a file first.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    // generated/ is ts-proto's; the consumer project is compiled by the package suite against the packed package.
    ignores: [
      'dist/**',
      'generated/**',
      '.tools/**',
      '.venv/**',
      '.bench/**',
      'test-artifacts/**',
      'cmf-data/**',
      'test/package/consumer/**',
    ],
  },
  {
    files: ['src/**/*.{ts,tsx}', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    // A disable comment naming a rule that is off, or a line that no longer breaks it, is itself an error.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process) and its ordering:
      // await it, or mark it `void` with a comment saying why it may run on its own.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/test/it register a test and return a promise the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'suite', 'it', 'test', 'before', 'after'] },
          ],
        },
      ],
      // Type-only imports say so, so they vanish from the emitted JavaScript (the SDK must not load server modules).
      // `typeof import('./x')` stays allowed: it types a module loaded lazily with require() (storage/open.ts).
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // ...and an import of types only is `import type { ... }`, not a list of inline `type` qualifiers.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // The SDK's clients merge an interface (one method per RPC) into a class that builds them from the descriptors;
      // each such merge is marked where it is meant.
      '@typescript-eslint/no-unsafe-declaration-merging': 'error',
      // `unknown` and a check, or a type; an `any` is marked where it is deliberate (JSON walked in a test).
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // Preact's hooks follow React's rules: called unconditionally, effects listing what they read.
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
);
