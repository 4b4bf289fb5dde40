// The README's "Never:" import rules, checked on every import resolved to its file (type-only imports included:
// a domain that names a transport's type already depends on it). `npm run lint` runs it after ESLint.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-without-transport',
      comment:
        'mlmd/, cmf/, storage/ and query/ are the domains and their storage: no gRPC, no HTTP, nothing of server/ ' +
        'or cli/ (server/ maps their errors to statuses; they import the generated message types only)',
      severity: 'error',
      from: { path: '^src/(mlmd|cmf|storage|query)/' },
      to: {
        path: ['^src/(server|cli)/', '^node_modules/(@grpc|grpc-web|grpc-health-check)/'],
      },
    },
    {
      name: 'domain-without-http',
      comment: 'the domains know no HTTP: the listeners are server/',
      severity: 'error',
      from: { path: '^src/(mlmd|cmf|storage|query)/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(http|http2|https)$' },
    },
    {
      name: 'query-alone',
      comment: 'the filter_query compiler stands alone: it imports nothing of the MLMD domain or the storage',
      severity: 'error',
      from: { path: '^src/query/' },
      to: { path: '^src/(mlmd|cmf|storage|graph)/' },
    },
    {
      name: 'client-without-server-code',
      comment: 'the SDK (src/client/) runs where no server does: generated code and its own modules only',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: '^src/(server|cli|mlmd|cmf|cmf-server|storage|query|graph|ui)/' },
    },
    {
      name: 'ui-only-generated',
      comment:
        'the web UI reads the store through gRPC-Web only, like any browser: its own modules, the generated code and npm packages',
      severity: 'error',
      from: { path: '^src/ui/' },
      // `buffer` resolves to Node's here; the browser build bundles the npm package of that name in its place.
      to: { pathNot: ['^src/ui/', '^generated/', '^node_modules/', '^buffer$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|generated)/' },
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // src/ui has its own tsconfig (bundler resolution); its relative imports resolve the same way.
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.json', '.d.ts'] },
  },
};
