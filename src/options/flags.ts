/**
 * The options more than one command takes, declared once with one wording: commander Option factories (a fresh
 * Option each call, as each command owns its own). A command's own options stay in its file under commands/.
 */
import { Option, type Command } from 'commander';
import { EMITS } from '../model/layouts.js';
import { DEFAULT_EMITS } from './params.js';
import { SCRIPT_DEFAULTS } from '../model/defaults.js';
import { STORE_TYPES } from '../model/cluster.js';
import { PASSWORD_STYLES } from '../model/deployment.js';
import { LAYOUTS } from '../model/layouts.js';
import { KEY_TYPES } from '../model/keys.js';

const D = SCRIPT_DEFAULTS;

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const passwordFileOption = () =>
  new Option(
    '--password-file <file>',
    'file holding the store and key password (default: env PASSWORD, else "password")',
  );

export const opensslOption = () => new Option('--openssl <path>', 'openssl to run (default: openssl on PATH)');

export const keytoolOption = () => new Option('--keytool <path>', 'keytool to run (default: keytool on PATH)');

export const keytoolJvmOption = () =>
  new Option(
    '--keytool-jvm <mode>',
    "shared: run the keytool steps in one JVM, as many at once as there are cores (the JDK's keytool class, " +
      'same arguments), which also makes the RSA keys of more than four leaves; ' +
      'per-step: start keytool for each step, openssl making every key (default shared)',
  ).choices(['shared', 'per-step']);

export const jsonOption = () =>
  new Option('--json', 'print the result, or the failure, as JSON on stdout instead of the report for people');

export const verboseOption = () => new Option('--verbose', "print every step's command and output");

export const keepWorkOption = () => new Option('--keep-work', 'on failure, keep the work directory and print its path');

/** The output directory, with what the command does to it; ./certs by default, as the script. */
export const outOption = (what: string) => new Option('--out <dir>', what).default('certs');

/** The StatefulSet's names, which say what hosts a broker serves: generate, plan, apply and verify. */
export const statefulSetOptions = (): Option[] => [
  new Option('--name <name>', `StatefulSet name: brokers are <name>-<i> (default ${D.name})`),
  new Option('--headless-service <name>', 'headless Service name (default <name>-headless)'),
  new Option('--namespace <ns>', `Kubernetes namespace (default ${D.namespace})`),
  new Option('--cluster-domain <domain>', `cluster DNS domain (default ${D.clusterDomain})`),
  new Option('--client-name <name>', 'client identity: alias, CN and file names (default <name>-client)'),
];

/** The size and life of the cluster's certificates. */
const sizeOptions = (): Option[] => [
  new Option('--brokers <n>', `number of brokers, 1 to 999 (env KAFKA_BROKER_COUNT; default ${D.brokers})`),
  new Option('--validity <days>', `validity of every certificate in days (env VALIDITY; default ${D.validity})`),
  new Option('--ca-validity <days>', 'validity of the CA certificate in days (default: --validity)'),
  new Option(
    '--key-type <type>',
    "the brokers' and clients' keys: RSA of a size, or ECDSA on NIST P-256 or P-384 (default rsa-2048, as the " +
      "script; plan and apply: the directory's)",
  ).choices(KEY_TYPES),
  caKeyTypeOption(),
];

/** The CA's key: generate's, plan's and apply's, and the new CA's of rotate-ca start. */
export const caKeyTypeOption = () =>
  new Option(
    '--ca-key-type <type>',
    "the CA's key, as --key-type (default rsa-4096, as the script; rotate-ca start and apply: the directory's CA's)",
  ).choices(KEY_TYPES);

/** The subject of every certificate, and the CA's. */
const subjectOptions = (): Option[] => [
  new Option(
    '--san <value>',
    'extra SAN on every broker certificate: a DNS name, DNS:name or IP:address (repeatable)',
  ).argParser(collect),
  new Option('--country <CC>', `subject C (default ${D.country})`),
  new Option('--state <state>', `subject ST of the leaves (default ${D.state}) and of the CA unless --ca-state`),
  new Option('--ca-state <state>', `subject ST of the CA (default ${D.caState}, or --state when given)`),
  new Option('--locality <city>', `subject L (default ${D.locality})`),
  new Option('--org <org>', `subject O (default ${D.org})`),
  new Option('--org-unit <unit>', `subject OU (default ${D.orgUnit})`),
  new Option('--ca-cn <cn>', `CA common name (default ${D.caCn})`),
  new Option('--ca-email <address>', `CA emailAddress (default ${D.caEmail})`),
];

/** Your own CA, instead of one kafka-mtls makes. */
const ownCaOptions = (): Option[] => [
  new Option(
    '--ca-cert <file>',
    "your own CA's certificate (PEM): sign with it instead of making a CA; needs --ca-key",
  ),
  new Option('--ca-key <file>', "your own CA's private key (PEM, PKCS#8 or PKCS#1, may be encrypted)"),
  new Option(
    '--ca-chain <file>',
    'when --ca-cert is an intermediate: the certificates above it, up to and including the root',
  ),
  new Option('--ca-key-password-env <var>', 'environment variable holding the passphrase of an encrypted --ca-key'),
  new Option('--ca-key-password-file <file>', 'file holding the passphrase of an encrypted --ca-key'),
];

/** The files made: layout, store type, extra outputs and how they name paths and passwords. */
const outputOptions = (): Option[] => [
  new Option(
    '--config <file>',
    'describe the cluster in a YAML or JSON file (brokers and their host names, clients, subjects, listeners...) ' +
      'instead of the flags above',
  ),
  new Option(
    '--layout <layout>',
    "dropin: the files of mtls-kafka.sh; confluent: the write-up's PKCS12 flow, a <name>-creds directory per " +
      "broker and client (default dropin, or the config's)",
  ).choices(LAYOUTS),
  new Option(
    '--store-type <type>',
    "keystore and truststore type: auto is the JDK keytool's default (PKCS12 on JDK 9+), as the script " +
      '(default auto; pkcs12 with --layout confluent)',
  ).choices(STORE_TYPES),
  new Option(
    '--emit <list>',
    `extra outputs, comma-separated, or none: ${EMITS.join(', ')} ` +
      `(default: none for dropin, ${DEFAULT_EMITS.confluent.join(',')} for confluent)`,
  ),
  new Option(
    '--mount-path <dir>',
    'where brokers and clients see their files, for the paths in server.properties and client.properties ' +
      '(default: the output directory)',
  ),
  new Option(
    '--compose-dir <dir>',
    "--emit compose: your base compose file's folder; the block's host paths are relative to it " +
      '(default: absolute paths)',
  ),
  new Option(
    '--properties-passwords <style>',
    'passwords in .properties files: provider (${file:...} references to a 0600 credentials file), placeholder, ' +
      'or literal (0600)',
  ).choices(PASSWORD_STYLES),
  new Option(
    '--generate-passwords',
    'a random password for each keystore and one for the truststores, written to 0600 credentials files, ' +
      'instead of one shared password',
  ),
];

/** Options under one heading of --help: 39 in one list hide the few a user came for. */
const inGroup = (heading: string, options: Option[]): Option[] => options.map((o) => o.helpGroup(heading));

/** What a cluster is made of, as generate makes it and plan and apply compare it: every option after --out. */
export const clusterOptions = (): Option[] => [
  ...inGroup('Size, life and password:', [...sizeOptions(), passwordFileOption()]),
  ...inGroup("The StatefulSet's names:", statefulSetOptions()),
  ...inGroup('Subjects:', subjectOptions()),
  ...inGroup('Your own CA:', ownCaOptions()),
  ...inGroup('What is made:', outputOptions()),
];

/** The tools a command that runs keytool steps may be pointed at. */
export const toolOptions = (): Option[] => inGroup('Tools:', [opensslOption(), keytoolOption(), keytoolJvmOption()]);

/** commander has no addOptions: each in turn, in the order given (the order --help shows). */
export function addOptions(cmd: Command, options: readonly Option[]): Command {
  for (const o of options) cmd.addOption(o);
  return cmd;
}
