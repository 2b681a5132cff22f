import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SCRIPT } from './cli.js';

export interface ScriptParams {
  readonly password: string;
  readonly validity: number;
  readonly brokers: number;
  /**
   * jks: keytool makes JKS stores, as the script's keytool did before Java 9. Set through the security property
   * keytool reads its default type from (keystore.type), so the script itself runs unchanged.
   */
  readonly storeType?: 'jks' | 'pkcs12';
}

/** Runs the original mtls-kafka.sh in dir, its parameters edited in a copy as a user edits them; returns certs/. */
export async function runScript(dir: string, p: ScriptParams): Promise<string> {
  const original = await readFile(SCRIPT, 'utf8');
  const patched = original
    .replace(/^PASSWORD=.*$/m, `PASSWORD='${p.password}'`)
    .replace(/^VALIDITY=.*$/m, `VALIDITY=${p.validity}`)
    .replace(/^KAFKA_BROKER_COUNT=.*$/m, `KAFKA_BROKER_COUNT=${p.brokers}`);
  const script = join(dir, 'mtls-kafka.sh');
  await writeFile(script, patched);
  const env: Record<string, string> = {};
  if (p.storeType === 'jks') {
    const props = join(dir, 'jks.security');
    await writeFile(props, 'keystore.type=jks\n');
    env.JAVA_TOOL_OPTIONS = `-Djava.security.properties=${props}`;
  }
  // A JKS keytool asks for the key's password ("RETURN if same as keystore password"): end of input answers it, as
  // the user's RETURN did.
  const r = await execa('bash', [script], { cwd: dir, reject: false, all: true, env, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`the original script failed: ${r.all}`);
  return join(dir, 'certs');
}
