import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ToolMissingError } from './errors.js';
import type { Tool } from './runner/step.js';

const INSTALL_HINT: Record<Tool, string> = {
  openssl: 'install openssl (Debian: apt-get install openssl), or pass --openssl PATH',
  keytool: 'install a JDK, which ships keytool (Debian: apt-get install openjdk-17-jdk-headless), or pass --keytool PATH',
};

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `command` would be found: itself when it names a path, else the first match on PATH. */
export async function locate(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (command.includes('/')) return (await isExecutable(command)) ? command : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Checks every tool a plan needs before any step runs, so that a missing one is named up front. */
export async function preflight(tools: Readonly<Record<Tool, string>>, needed: Iterable<Tool>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const tool of new Set(needed)) {
    if (!(await locate(tools[tool], env))) {
      const where = tools[tool].includes('/') ? `${tools[tool]} is not an executable file` : `${tools[tool]} is not on PATH`;
      throw new ToolMissingError(tool, `${where}; ${INSTALL_HINT[tool]}`);
    }
  }
}
