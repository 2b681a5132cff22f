/**
 * Every openssl subcommand and option kafka-mtls runs, in steps (src/steps/openssl.ts) and in the
 * read-only commands (src/steps/read.ts: your own CA's checks, verify, inspect, probe, the password proof of apply
 * and rotate-ca).
 * The port supports OpenSSL 1.1.1 and 3.x, so each option here must exist in both:
 * test/unit/openssl-options.test.ts checks the list against the 1.1.1 manual pages
 * (test/fixtures/openssl-1.1.1/options.json), and test/fixtures/openssl-1.1.1/openssl runs the integration suite
 * refusing anything else. Add an option here before using it.
 */
export const OPENSSL_OPTIONS_USED: Readonly<Record<string, readonly string[]>> = {
  version: [],
  req: [
    '-new',
    '-x509',
    '-newkey',
    '-pkeyopt',
    '-nodes',
    '-keyout',
    '-out',
    '-days',
    '-config',
    '-verify',
    '-noout',
    '-text',
    '-nameopt',
    '-in',
    '-pubkey',
    '-key',
  ],
  genpkey: ['-algorithm', '-pkeyopt', '-out'],
  x509: [
    '-req',
    '-in',
    '-CA',
    '-CAkey',
    '-passin',
    '-out',
    '-days',
    '-sha256',
    '-sha384',
    '-set_serial',
    '-extfile',
    '-extensions',
    '-noout',
    '-ext',
    '-text',
    '-fingerprint',
    '-nameopt',
    '-certopt',
    '-pubkey',
    '-subject',
    '-issuer',
  ],
  verify: ['-x509_strict', '-purpose', '-auth_level', '-CAfile', '-untrusted'],
  pkcs12: [
    '-export',
    '-in',
    '-inkey',
    '-certfile',
    '-name',
    '-out',
    '-passout',
    '-keypbe',
    '-certpbe',
    '-macalg',
    '-noiter',
    '-nomaciter',
    '-chain',
    '-CAfile',
    '-passin',
    '-nokeys',
    '-info',
    '-nocerts',
    '-nodes',
    '-clcerts',
    '-noout',
  ],
  pkey: ['-pubout', '-passin', '-in', '-text_pub', '-out'],
};

/** The options of `args` (an openssl argv, subcommand first) that the list above does not hold. */
export function unlistedOptions(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  const known = OPENSSL_OPTIONS_USED[command ?? ''];
  if (!known) return [`${command ?? '(none)'} (subcommand)`];
  return rest.filter((a) => /^-[A-Za-z]/.test(a) && !known.includes(a));
}
