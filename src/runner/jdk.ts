import { readFile, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** What a JDK's tools are started with, and what a JDK's files say. */

/** keytool's messages are localized, and the checks and hints read the English ones: options for its JVM. */
export const ENGLISH_JVM_OPTIONS = ['-Duser.language=en', '-Duser.country=US'] as const;

/** The same on keytool's command line, where `-J` hands an option to its JVM. */
export const ENGLISH_KEYTOOL_OPTIONS: readonly string[] = ENGLISH_JVM_OPTIONS.map((o) => `-J${o}`);

/**
 * The store type a JDK's keytool makes when none is named: the
 * `keystore.type` of that JDK's java.security (pkcs12 on JDK 9+, jks on 8).
 * Knowing it up front lets the plan name the type explicitly, and check
 * PKCS12 stores with openssl instead of starting another JVM per store.
 * Undefined when the file cannot be found; the plan then leaves the type to
 * keytool and checks with keytool.
 */
export async function defaultStoreType(keytoolPath: string): Promise<'jks' | 'pkcs12' | undefined> {
  let home: string;
  try {
    home = dirname(dirname(await realpath(keytoolPath)));
  } catch {
    return undefined;
  }
  const candidates = [
    join(home, 'conf/security/java.security'), // JDK 9+
    join(home, 'jre/lib/security/java.security'), // JDK 8
    join(home, 'lib/security/java.security'), // a JDK 8 JRE
  ];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const type = /^\s*keystore\.type\s*=\s*(\S+)\s*$/m.exec(text)?.[1]?.toLowerCase();
    return type === 'jks' || type === 'pkcs12' ? type : undefined;
  }
  return undefined;
}
