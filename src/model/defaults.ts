/** A cluster's defaults, declared once for the flags, the config file and verify: names, subjects, keys, validity. */

/** The script's hard-coded values, as its variables give them: the defaults of the drop-in. */
export const SCRIPT_DEFAULTS = {
  password: 'password',
  validity: '730',
  brokers: '3',
  name: 'mtls-kafka',
  namespace: 'axplatform',
  clusterDomain: 'svc.cluster.local',
  country: 'KR',
  state: 'Seoul',
  caState: 'SEOUL',
  locality: 'Confluent',
  org: 'Organization',
  orgUnit: 'OrganizationUnit',
  caCn: 'Kafka-Security-CA',
  caEmail: 'my@email.com',
} as const;

/** The StatefulSet's headless Service, unless named: the script's <name>-headless. */
export const defaultHeadlessService = (name: string): string => `${name}-headless`;
/** The client's alias, CN and file names, unless named: the script's <name>-client. */
export const defaultClientName = (name: string): string => `${name}-client`;

const D = SCRIPT_DEFAULTS;
/** The script's leaf subject without its CN, in keytool's -dname order. */
export const SCRIPT_SUBJECT = [
  ['C', D.country],
  ['ST', D.state],
  ['L', D.locality],
  ['O', D.org],
  ['OU', D.orgUnit],
] as const;
/** The script's CA subject: its state in capitals, a CN and an e-mail address. */
export const SCRIPT_CA_SUBJECT = [
  ['C', D.country],
  ['ST', D.caState],
  ['L', D.locality],
  ['O', D.org],
  ['OU', D.orgUnit],
  ['CN', D.caCn],
  ['emailAddress', D.caEmail],
] as const;

/** The write-up's names, the defaults of the confluent layout when the config names none. */
export const CONFLUENT_DEFAULTS = {
  caSubject: [
    ['C', 'US'],
    ['O', 'Confluent'],
    ['L', 'MountainView'],
    ['CN', 'confluent-ca'],
  ],
  subject: [
    ['C', 'US'],
    ['O', 'CONFLUENT'],
    ['L', 'MountainView'],
  ],
  validityDays: 365,
} as const;

/** The script's key sizes: RSA 2048 for the leaves, 4096 for the CA. */
export const LEAF_KEY_BITS = 2048;
export const CA_KEY_BITS = 4096;
/** The RSA key sizes a config may ask for. */
export const RSA_KEY_SIZES: readonly number[] = [2048, 3072, 4096, 8192];

/** Validity in days: at least one, at most a hundred years. */
export const MAX_VALIDITY_DAYS = 36500;
/** The cap of --brokers, and of a config's brokers and clients. */
export const MAX_IDENTITIES = 999;
/** X.509's limit on a common name (RFC 5280, ub-common-name). */
export const MAX_CN_LENGTH = 64;
