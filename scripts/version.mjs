// Writes src/version.ts from package.json, so that --version is the package's own version
// whatever npm_package_version says, and still right when the CLI is bundled into one file.
import { readFileSync, writeFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const file = new URL('../src/version.ts', import.meta.url);
const text = `// Generated from package.json by scripts/version.mjs (npm run build); test/unit/version.test.ts checks it.\nexport const VERSION = '${version}';\n`;
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch {
  // No version.ts yet: written below.
}
if (current !== text) writeFileSync(file, text);
