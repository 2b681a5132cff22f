import { UsageError } from '../../src/errors.js';
import { mapPrincipal, parseMappingRules } from '../../src/model/principal.js';

const BROKER = 'CN=mtls-kafka-0.mtls-kafka-headless,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR';
const CLIENT = 'CN=mtls-kafka-client,OU=OrganizationUnit,O=Organization,L=Confluent,ST=Seoul,C=KR';

describe('ssl.principal.mapping.rules', () => {
  test('DEFAULT keeps the RFC 2253 subject', () => {
    expect(mapPrincipal(BROKER, parseMappingRules('DEFAULT'))).toBe(BROKER);
  });

  test('the first matching rule wins, with its case flag; commas inside a pattern stay in it', () => {
    const rules = parseMappingRules(
      'RULE:^CN=([^.,]+)\\.mtls-kafka-headless,OU=.*$/$1/U, RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L, DEFAULT',
    );
    expect(rules).toHaveLength(3);
    expect(mapPrincipal(BROKER, rules)).toBe('MTLS-KAFKA-0');
    expect(mapPrincipal(CLIENT, rules)).toBe('mtls-kafka-client@organizationunit');
  });

  test('no rule applying means Kafka refuses the connection', () => {
    expect(mapPrincipal(CLIENT, parseMappingRules('RULE:^CN=nobody,.*$/nobody/'))).toBeUndefined();
  });

  test('malformed rules are bad usage', () => {
    expect(() => parseMappingRules('RULE:^CN=(.*$/$1/')).toThrow(UsageError);
    expect(() => parseMappingRules('SOMETHING')).toThrow(/--principal-rules: must be DEFAULT or RULE/);
  });
});
