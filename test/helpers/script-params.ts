import type { StatefulSetParams } from '../../src/model/cluster.js';

/** mtls-kafka.sh's hard-coded cluster, as StatefulSet parameters. */
export const SCRIPT_PARAMS: StatefulSetParams = {
  brokers: 3,
  validityDays: 730,
  caValidityDays: 730,
  name: 'mtls-kafka',
  headlessService: 'mtls-kafka-headless',
  namespace: 'axplatform',
  clusterDomain: 'svc.cluster.local',
  clientName: 'mtls-kafka-client',
  subject: { country: 'KR', state: 'Seoul', locality: 'Confluent', org: 'Organization', orgUnit: 'OrganizationUnit' },
  ca: { cn: 'Kafka-Security-CA', state: 'SEOUL', email: 'my@email.com' },
  extraSans: [],
  storeType: 'auto',
};
