// Generated from package.json by scripts/version.mjs (npm run build); test/unit/version.test.ts checks it.
export const VERSION = '0.1.0';
