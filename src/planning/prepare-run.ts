/** Before a run: options → parameters → cluster → plan, with the tools found on this machine. */
import { parseRunOptions, type OptionDeps, type ParamFallbacks, type RawRunOptions } from '../options/params.js';
import { passwordWarning } from '../options/password.js';
import { checkOwnCa } from '../pki/own-ca.js';
import { planCluster, type PlannedRun } from '../plans/generate.js';
import { defaultStoreType } from '../runner/jdk.js';
import { locate, preflight } from '../runner/tools.js';

/**
 * Everything before a file is touched; and the warning about the shared password, for the caller to give once the
 * password has passed what it must (apply and rotate-ca prove it first). Not pure: it looks for the tools (and
 * with `requireTools`, runs openssl to check its version), and reads the JDK's default store type.
 */
export async function planRun(
  raw: RawRunOptions,
  deps: OptionDeps,
  opts: { requireTools: boolean; fallback?: ParamFallbacks },
): Promise<PlannedRun & { warning?: string }> {
  const { params: parsed, ownCa } = await parseRunOptions(raw, deps, opts.fallback);
  const params = ownCa ? { ...parsed, externalCa: await checkOwnCa(ownCa, parsed.tools.openssl, deps.signal) } : parsed;
  if (opts.requireTools) await preflight(params.tools, ['openssl', 'keytool'], deps.env);
  // 'auto' becomes the type this JDK's keytool makes by default (as the script got), named explicitly.
  const keytoolPath = await locate(params.tools.keytool, deps.env);
  const detected = keytoolPath ? await defaultStoreType(keytoolPath) : undefined;
  const planned = planCluster(params, params.storeType === 'auto' ? (detected ?? 'auto') : params.storeType);
  // Generated passwords leave the shared one unused: nothing to warn about.
  const shared = { secret: params.password, source: params.passwordSource };
  const warning = params.generatePasswords ? undefined : passwordWarning(shared, JSON.stringify(planned.cluster));
  return { ...planned, warning };
}
