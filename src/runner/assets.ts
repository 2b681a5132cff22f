/**
 * Files kafka-mtls ships beside its code (templates/, java/KeytoolHost.class): read from the package
 * when it runs from dist/, and from the executable itself when it runs as the single file that
 * `npm run build:bin` makes (a Node.js single executable application, whose assets are in node:sea).
 */
interface SeaModule {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
}

let sea: SeaModule | null | undefined;

function seaModule(): SeaModule | null {
  if (sea === undefined) {
    // process.getBuiltinModule reaches node:sea from ESM and CommonJS alike (Node 20.16+; every SEA build
    // is newer). Older Nodes never run inside our executable.
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    const mod = get?.('node:sea') as SeaModule | undefined;
    sea = mod?.isSea() ? mod : null;
  }
  return sea;
}

/** Whether this process is the single executable. */
export function inSingleExecutable(): boolean {
  return seaModule() !== null;
}

/** An asset of the single executable by its path in the package (`templates/ca.cnf`), else undefined. */
export function seaAsset(path: string): Buffer | undefined {
  const mod = seaModule();
  if (!mod) return undefined;
  try {
    return Buffer.from(mod.getAsset(path));
  } catch {
    // Not built in (a build without javac has no KeytoolHost.class).
    return undefined;
  }
}
