import { loadTemplate, renderTemplate, TemplateError } from '../../src/plans/templates.js';

/** The key values an RSA run gives the templates (plans/templates.ts): the script's text. */
const RSA_CA = { ca_newkey: 'rsa:4096', ca_bits: '4096', ca_md: 'sha256' };
const RSA_LEAF = { leaf_md: 'sha256', key_usage: 'critical, digitalSignature, keyEncipherment' };

describe('renderTemplate', () => {
  test('fills placeholders and expands a list placeholder into key = value lines', () => {
    const out = renderTemplate('CN = {{cn}}\n[alt_names]\n{{alt}}\n', {
      cn: 'broker-0.example',
      alt: {
        lines: [
          ['DNS.1', 'a.example'],
          ['IP.1', '10.0.0.1'],
        ],
      },
    });
    expect(out).toBe('CN = broker-0.example\n[alt_names]\nDNS.1 = a.example\nIP.1 = 10.0.0.1\n');
  });

  test.each([
    ['a newline', 'Acme\nCN = evil'],
    ['a carriage return', 'Acme\rx'],
    ['a variable', '$ENV::HOME'],
    ['a section', '[v3_ca]'],
    ['a comment', 'Acme # x'],
    ['a backslash', 'Acme\\'],
    ['an equals sign', 'a=b'],
    ['a double quote', '"quoted"'],
    ['a single quote', "O'Reilly"],
    ['leading space', ' Acme'],
    ['trailing space', 'Acme '],
    ['an empty value', ''],
    ['a NUL', 'Acme\x00'],
  ])('rejects a value with %s', (_what, value) => {
    expect(() => renderTemplate('O = {{org}}', { org: value })).toThrow(TemplateError);
  });

  test('rejects a hostile key or value in a list', () => {
    expect(() => renderTemplate('{{alt}}', { alt: { lines: [['DNS.1\n[x]', 'a']] } })).toThrow(
      /key for \{\{alt\}\} is not safe/,
    );
    expect(() => renderTemplate('{{alt}}', { alt: { lines: [['DNS.1', 'a\nb']] } })).toThrow(/not safe/);
  });

  test('an unknown or missing placeholder, or an unused value, is an error', () => {
    expect(() => renderTemplate('O = {{org}}', {})).toThrow(/no value for \{\{org\}\}/);
    expect(() => renderTemplate('O = x', { org: 'Acme' })).toThrow(/not used by the template: org/);
    expect(() => renderTemplate('O = {{org}} {{alt}}', { org: 'A', alt: { lines: [['a', 'b']] } })).toThrow(
      /must stand alone/,
    );
  });

  test('the shipped templates render with every placeholder filled', () => {
    const ca = renderTemplate(loadTemplate('ca.cnf'), {
      ...RSA_CA,
      dn: {
        lines: [
          ['C', 'KR'],
          ['ST', 'SEOUL'],
          ['CN', 'Kafka-Security-CA'],
          ['emailAddress', 'my@email.com'],
        ],
      },
    });
    expect(ca).not.toMatch(/\{\{/);
    expect(ca).toMatch(/^x509_extensions\s+= v3_ca$/m);
    expect(ca).toMatch(/^basicConstraints\s+= critical, CA:TRUE$/m);
    expect(ca).toMatch(
      /^\[req_distinguished_name\]\nC = KR\nST = SEOUL\nCN = Kafka-Security-CA\nemailAddress = my@email.com$/m,
    );
  });

  test("the confluent templates are the write-up's sections, filled", () => {
    const ca = renderTemplate(loadTemplate('confluent-ca.cnf'), {
      ...RSA_CA,
      dn: {
        lines: [
          ['C', 'US'],
          ['CN', 'confluent-ca'],
        ],
      },
    });
    for (const section of ['policy_match', 'req', 'dn', 'v3_ca']) expect(ca).toContain(`[ ${section} ]`);
    expect(ca).toMatch(/^keyUsage = critical,keyCertSign,cRLSign$/m);
    const leaf = renderTemplate(loadTemplate('confluent-leaf.cnf'), {
      leaf_bits: '2048',
      ...RSA_LEAF,
      dn: {
        lines: [
          ['C', 'US'],
          ['CN', 'kafka-1'],
        ],
      },
      alt_names: {
        lines: [
          ['DNS.1', 'kafka-1'],
          ['DNS.2', 'kafka-1-external'],
        ],
      },
    });
    expect(leaf).toMatch(/^\[ alt_names \]\nDNS.1 = kafka-1\nDNS.2 = kafka-1-external$/m);
    expect(leaf).toMatch(/^req_extensions = v3_csr$/m);
  });

  // OpenSSL 1.1.1 adds no authorityKeyIdentifier unless asked, and strict clients refuse a leaf without one;
  // openssl req refuses to put one in a request ("no issuer certificate").
  const section = (cnf: string, name: string) => new RegExp(`^\\[ ?${name} ?\\]\n([^[]*)`, 'm').exec(cnf)?.[1] ?? '';
  const leafValues = { alt_names: { lines: [['DNS.1', 'kafka-1']] }, dn: { lines: [['CN', 'kafka-1']] } } as const;

  test('every leaf is signed with an authorityKeyIdentifier, a subjectKeyIdentifier and digitalSignature', () => {
    const confluent = renderTemplate(loadTemplate('confluent-leaf.cnf'), {
      ...leafValues,
      ...RSA_LEAF,
      leaf_bits: '2048',
    });
    const dropin = renderTemplate(loadTemplate('ext.cnf'), {
      alt_names: leafValues.alt_names,
      key_usage: RSA_LEAF.key_usage,
    });
    for (const ext of [section(confluent, 'v3_req'), dropin]) {
      expect(ext).toMatch(/^authorityKeyIdentifier = keyid,issuer$/m);
      expect(ext).toMatch(/^subjectKeyIdentifier = hash$/m);
      expect(ext).toMatch(/^keyUsage = critical, digitalSignature, keyEncipherment$/m);
      expect(ext).toMatch(/^basicConstraints = CA:FALSE$/m);
    }
    expect(section(confluent, 'v3_csr')).not.toMatch(/authorityKeyIdentifier/);
    expect(section(confluent, 'v3_csr')).toBe(section(confluent, 'v3_req').replace(/^(#|authorityKey).*\n/gm, ''));
  });

  test('every CA is critical CA:TRUE, keyCertSign and cRLSign, with key identifiers', () => {
    const dn = { lines: [['CN', 'ca']] } as const;
    for (const name of ['ca.cnf', 'confluent-ca.cnf'] as const) {
      const ext = section(renderTemplate(loadTemplate(name), { ...RSA_CA, dn }), 'v3_ca').replace(/ /g, '');
      expect(ext).toMatch(/^basicConstraints=critical,CA:(TRUE|true)$/m);
      expect(ext).toMatch(/^keyUsage=critical,keyCertSign,cRLSign$/m);
      expect(ext).toMatch(/^subjectKeyIdentifier=hash$/m);
      expect(ext).toMatch(/^authorityKeyIdentifier=keyid:always/m);
    }
  });
});
