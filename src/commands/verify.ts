/**
 * `verify [dir]`: a certs directory judged by the TLS stacks that will judge it (JSSE handshakes per pair in the
 * keytool host's JVM, openssl verify, the strict profile) and by the checks a handshake cannot show; a finding each.
 */
import { Command } from 'commander';
import {
  addOptions,
  collect,
  jsonOption,
  keytoolOption,
  opensslOption,
  passwordFileOption,
  statefulSetOptions,
} from '../options/flags.js';
import { runVerify, type RawVerifyOptions } from '../verdicts/directory.js';
import type { CommandIo } from '../report/io.js';
import { formatFindings } from '../report/findings.js';

const HELP = `
Examples:
  kafka-mtls verify                      # ./certs, password from PASSWORD
  kafka-mtls verify /work/certs --password-file pw.txt --host 'kafka-{i}.example.com'

Each client is judged against each broker, and each broker against the others, over TLSv1.2 and TLSv1.3, with the
stores loaded as Kafka loads them (the passwords from the properties and credentials files the directory holds).

Exit codes:
  0    every check passed (warnings allowed)
  1    a check failed (a judge refused, or a file is not what it must be)
  2    bad usage (a pattern in --principal-rules Java cannot compile, among others)`;

export function verifyCommand(io: CommandIo): Command {
  const cmd = new Command('verify')
    .description(
      'Check a certs directory (made by kafka-mtls, by mtls-kafka.sh or by hand) as Kafka will: a JSSE handshake ' +
        'per client-broker and broker-broker pair, openssl verify for non-Java clients, and the strict profile',
    )
    .argument('[dir]', 'the directory holding *.keystore.jks and *.truststore.jks', 'certs')
    .addOption(passwordFileOption());
  addOptions(cmd, statefulSetOptions())
    .option(
      '--host <name>',
      "a host name every broker certificate must cover, {i} for the broker's index " +
        '(repeatable; default: the StatefulSet names)',
      collect,
    )
    .option(
      '--principal-rules <rules>',
      "the brokers' ssl.principal.mapping.rules, to show the principal Kafka will use (default: DEFAULT)",
    )
    .option(
      '--cipher-suites <list>',
      'ssl.cipher.suites, comma-separated, for every broker and client whose properties file sets none: the ' +
        "handshakes are judged with it (default: what the properties files say, else the JVM's suites)",
    )
    .addOption(jsonOption())
    .addOption(opensslOption())
    .addOption(keytoolOption());
  return cmd.addHelpText('after', HELP).action(async (dir: string, opts: RawVerifyOptions) => {
    const result = await runVerify(dir, opts, { env: io.env, signal: io.signal, warn: io.warn });
    io.out(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatFindings(io.c, result));
    if (result.failed) io.exitWith(1);
  });
}
