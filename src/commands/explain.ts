/**
 * `explain [line...]`: a TLS error line from a Kafka broker or client (or a whole log) gives the outcome, who refused
 * whom and the causes with their fixes; with --certs, the causes ranked by what verify's judges find in the material.
 */
import { Command, Option } from 'commander';
import { runExplain, type RawExplainOptions } from '../explain/explain.js';
import { jsonOption, keytoolOption, opensslOption, passwordFileOption } from '../options/flags.js';
import { formatExplain } from '../report/explain.js';
import type { CommandIo } from '../report/io.js';

const HELP = `
Examples:
  kafka-mtls explain 'Failed authentication with /10.0.0.5 (SSL handshake failed)'
  kafka-mtls explain --certs certs 'javax.net.ssl.SSLHandshakeException: Empty client certificate chain'
  kafka-mtls explain --log /var/log/kafka/server.log --certs certs --json
  kubectl logs my-app | kafka-mtls explain - --from client --host 10.0.0.7

Each line is read by its family's own wording (JSSE JDK 8 to 25, librdkafka, Node and kafkajs, Go, Python, openssl
s_client/s_server, Kafka's own lines); a line no family's table knows is said to be unknown, never guessed.

Exit codes:
  0    every line was explained
  1    a line was recognised, but the material (--certs) shows none of its causes
  2    bad usage (no line, an unreadable --log, a FIFO or a file over 64 MiB, an unknown --from)
  4    a line was not recognised`;

export function explainCommand(io: CommandIo): Command {
  return new Command('explain')
    .description(
      'Explain a TLS error line from a Kafka broker or client (or a whole log): the outcome, who refused whom, the ' +
        'causes and their fixes; with --certs, ranked by what the certificates show',
    )
    .argument('[line...]', 'the error line(s) as logged (a stack trace in one argument); - reads a log from stdin')
    .option('--log <file>', 'read a whole log (- for stdin): its TLS lines, repeats grouped with count and times')
    .option('--certs <dir>', "the certs directory the broker and client use: rank causes by verify's judges")
    .option('--host <name>', 'the host (DNS name or IP address) the client dialled: names are checked for it')
    .addOption(
      new Option('--from <side>', 'who logged the line(s), when the line does not say').choices(['broker', 'client']),
    )
    .addOption(passwordFileOption())
    .addOption(jsonOption())
    .addOption(opensslOption())
    .addOption(keytoolOption())
    .addHelpText('after', HELP)
    .action(async (lines: string[], opts: RawExplainOptions) => {
      io.jsonFailures(opts.json === true);
      const { result, exitCode } = await runExplain(lines, opts, {
        env: io.env,
        signal: io.signal,
        warn: io.warn,
        stdin: process.stdin,
      });
      io.out(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatExplain(io.c, result));
      if (exitCode !== 0) io.exitWith(exitCode);
    });
}
