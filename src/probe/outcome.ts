import { isIP } from 'node:net';
import { servesSan } from '../pki/x509.js';
import type { Observation } from './handshake.js';
import type { OutcomeCode } from '../model/outcome.js';

export type { OutcomeCode };

/**
 * What one connection came to, as one stable code, one sentence and a hint
 * that ends with what to do. Pure: the facts come from handshake.ts.
 */
export interface Outcome {
  readonly code: OutcomeCode;
  readonly sentence: string;
  readonly hint?: string;
  /** The TLS alert the server sent, when it sent one. */
  readonly alert?: { readonly number: number; readonly name: string };
}

export interface ProbeContext {
  readonly host: string;
  readonly port: number;
  /** The name the server's certificate must cover (an IP or a DNS name). */
  readonly name: string;
  readonly sentCert: boolean;
  readonly checkedCa: boolean;
  readonly timeoutMs: number;
  /** false: the name is not checked (the chain still is), to say what the server made of our client certificate. */
  readonly checkName?: boolean;
}

/** RFC 8446 §6 alert names, as a Kafka operator meets them. */
const ALERTS: Readonly<Record<number, string>> = {
  10: 'unexpected message',
  20: 'bad record MAC',
  40: 'handshake failure',
  42: 'bad certificate',
  43: 'unsupported certificate',
  44: 'certificate revoked',
  45: 'certificate expired',
  46: 'certificate unknown',
  47: 'illegal parameter',
  48: 'unknown CA',
  49: 'access denied',
  50: 'decode error',
  51: 'decrypt error',
  70: 'protocol version',
  71: 'insufficient security',
  80: 'internal error',
  109: 'missing extension',
  112: 'unrecognized name',
  116: 'certificate required',
};

/** Alerts by which a server turns down the client's certificate (or its absence). */
const CLIENT_CERT_ALERTS = new Set([40, 42, 43, 44, 45, 46, 48, 49, 51, 116]);

const REJECTED_HINT: Readonly<Record<number, string>> = {
  45: 'the certificate given with --client has expired (or a clock is wrong): reissue it with kafka-mtls plan/apply',
  44: 'the certificate given with --client was revoked: issue a new one',
  42:
    'the server refused the certificate itself: check with kafka-mtls inspect that it is a client certificate ' +
    '(extendedKeyUsage clientAuth)',
  43: 'the server does not accept this kind of certificate: check its key usages with kafka-mtls inspect',
  49: "the server knows the certificate but denies access to it: check the server's principal rules",
  51: "the server could not check the certificate's signature: the key in --client may not belong to its certificate",
};
const UNKNOWN_CA_HINT =
  "the server's truststore (ssl.truststore.location) does not hold the CA that signed --client: " +
  "use a keystore signed by the cluster's CA, or import that CA into the brokers' truststores and restart them";

const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_UNEXPECTED_RECORD',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNEXPECTED_MESSAGE',
]);

const alertOf = (n: number) => ({ number: n, name: ALERTS[n] ?? `alert ${n}` });

export function classify(o: Observation, ctx: ProbeContext): Outcome {
  if (o.error?.alert !== undefined) return fromAlert(o, ctx, o.error.alert);
  if (o.error) return fromError(o, ctx, o.error.code);
  if (o.timedOut) return timedOut(o, ctx);
  if (o.closedAfterHandshake) return closedAfterHandshake(o, ctx);
  return fromHandshake(o, ctx);
}

function fromAlert(o: Observation, ctx: ProbeContext, n: number): Outcome {
  const alert = alertOf(n);
  const said = `alert "${alert.name}" (${n})`;
  if (n === 70) {
    return {
      code: 'protocol-unsupported',
      sentence: `the server does not speak ${o.protocol}: ${said}`,
      hint:
        `fine if ssl.enabled.protocols leaves ${o.protocol} out on purpose: clients must then use the other ` +
        'version',
      alert,
    };
  }
  if (CLIENT_CERT_ALERTS.has(n) && (o.certRequested || n === 116)) {
    if (!ctx.sentCert) return required(alert);
    return {
      code: 'client-cert-rejected',
      sentence: `the server rejected our client certificate: ${said}`,
      hint: REJECTED_HINT[n] ?? UNKNOWN_CA_HINT,
      alert,
    };
  }
  if (n === 112) {
    return {
      code: 'handshake-failed',
      sentence: `the server does not know the name we sent as SNI, ${ctx.name} (${said})`,
      hint: 'pass --servername with a name this listener serves (its advertised host name)',
      alert,
    };
  }
  return {
    code: 'handshake-failed',
    sentence: `the server ended the ${o.protocol} handshake: ${said}`,
    hint: "the server's log says why; check ssl.cipher.suites and ssl.enabled.protocols on the listener",
    alert,
  };
}

function required(alert?: Outcome['alert']): Outcome {
  return {
    code: 'client-cert-required',
    sentence: 'the server requires a client certificate and we sent none' + (alert ? ` (alert "${alert.name}")` : ''),
    hint:
      'this listener enforces mutual TLS: pass --client with a keystore signed by a CA its truststore holds, ' +
      'to test it',
    alert,
  };
}

function fromError(o: Observation, ctx: ProbeContext, code: string): Outcome {
  const where = `${ctx.host}:${ctx.port}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') {
    return {
      code: 'unresolved',
      sentence: `cannot resolve ${ctx.host}${code === 'EAI_AGAIN' ? ' (the DNS server did not answer)' : ''}`,
      hint:
        'check the name; a Kubernetes service name resolves only inside its cluster: connect to an address this ' +
        "machine resolves and give the certificate's name with --servername",
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      code: 'refused',
      sentence: `connection refused: nothing listens on ${where}`,
      hint: "check the port (the listener's port in the broker's listeners setting) and that the broker is up",
    };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    const hint = "check the address and this machine's network";
    return { code: 'unreachable', sentence: `no route to ${ctx.host}`, hint };
  }
  if (code === 'ETIMEDOUT') return timedOut(o, ctx);
  if (o.handshakeDone) return closedAfterHandshake(o, ctx);
  if (NOT_TLS_CODES.has(code)) {
    return {
      code: 'not-tls',
      sentence: `${where} answered, but not in TLS (${o.error!.reason ?? o.error!.message})`,
      hint:
        'this port is a plaintext listener (PLAINTEXT or SASL_PLAINTEXT) or another service: ' +
        "probe the SSL listener's port",
    };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return {
      code: 'not-tls',
      sentence: `${where} closed the connection without a TLS answer`,
      hint: "a plaintext Kafka listener (PLAINTEXT or SASL_PLAINTEXT) does this: probe the SSL listener's port",
    };
  }
  return {
    code: 'handshake-failed',
    sentence: `the ${o.protocol} handshake failed: ${o.error!.message}`,
    hint: "check that this is the listener's TLS port and that --ca and --client are the files meant for it",
  };
}

function timedOut(o: Observation, ctx: ProbeContext): Outcome {
  const s = `${ctx.timeoutMs / 1000} s`;
  if (!o.tcpConnected) {
    return {
      code: 'timeout',
      sentence: `no answer: ${ctx.host}:${ctx.port} did not accept a connection within ${s}`,
      hint: 'a firewall drops the packets, or the address is wrong: check both (or raise --timeout)',
    };
  }
  return {
    code: 'timeout',
    sentence: `no answer: the connection was accepted but no TLS answer came within ${s}`,
    hint: 'the port may not be a TLS listener, or the broker is overloaded: check the port (or raise --timeout)',
  };
}

/**
 * Our side of the handshake completed (TLS 1.3: before the server judged our certificate), then the connection ended
 * (Node reports a plain 'end', or ECONNRESET/EPIPE) with no alert, no session ticket and no Kafka answer. A TLS
 * server turns a certificate, or its absence, down with an alert, which Node reports as an error with the alert's
 * number (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 116, ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 48; Java sends 42 or 46):
 * without one there is no rejection to report, so this is its own outcome. Node's own TLS server is the exception
 * that looks the same: it drops a certificate it rejects without an alert, hence the hint's second half.
 */
function closedAfterHandshake(o: Observation, ctx: ProbeContext): Outcome {
  const how =
    o.certRequested && ctx.sentCert
      ? 'with our client certificate'
      : o.certRequested
        ? 'without a client certificate (it asked for one, we sent none)'
        : 'without asking for a client certificate';
  return {
    code: 'closed-after-accept',
    sentence:
      `the server completed the ${o.protocol} handshake ${how}, then closed the connection with no alert, ` +
      'no session ticket and no Kafka answer: it did not say it rejected the certificate',
    hint:
      'something past TLS ended the connection (for a Kafka broker: max.connections.per.ip, ' +
      'ssl.principal.mapping.rules that fail on our subject, a broker going down), or a server that drops a ' +
      "rejected certificate without an alert: the server's log says which; read it for a connection from this host",
  };
}

function fromHandshake(o: Observation, ctx: ProbeContext): Outcome {
  if (ctx.checkedCa && o.authorizationError) return untrusted(o.authorizationError);
  const mismatch = ctx.checkName === false ? undefined : nameMismatch(o, ctx.name);
  if (mismatch) return mismatch;
  if (ctx.sentCert && !o.certRequested) {
    return {
      code: 'client-cert-not-requested',
      sentence: 'the server did not ask for a client certificate: the connection works, but it is not mutual TLS',
      hint:
        'set ssl.client.auth=required on this listener (listener.name.<name>.ssl.client.auth), ' +
        'or probe the listener that has it',
    };
  }
  const by = EVIDENCE[o.evidence ?? 'handshake'](o.waitedMs ?? 0);
  if (ctx.sentCert) {
    const sentence = `accepted: the server asked for our client certificate and accepted it (${by})`;
    return { code: 'accepted', sentence };
  }
  const asked = o.certRequested
    ? 'the server asked for one but does not require it (ssl.client.auth=requested)'
    : 'the server did not ask for one (ssl.client.auth=none)';
  return {
    code: 'accepted',
    sentence: `accepted without a client certificate: ${asked}, so this listener does not enforce mutual TLS (${by})`,
    hint: 'to test mutual TLS pass --client; to enforce it set ssl.client.auth=required on the listener',
  };
}

const EVIDENCE: Readonly<Record<NonNullable<Observation['evidence']>, (ms: number) => string>> = {
  handshake: () => "a TLS 1.2 handshake includes the server's verdict",
  'session-ticket': () => 'the server sent a session ticket after the handshake',
  answer: () => 'the server answered a Kafka request',
  quiet: (ms) => `no alert came within ${ms} ms of the handshake`,
};

const UNTRUSTED: Readonly<Record<string, [string, string]>> = {
  CERT_HAS_EXPIRED: [
    'its certificate has expired',
    "reissue the broker's certificate (kafka-mtls plan, then apply) and restart it",
  ],
  CERT_NOT_YET_VALID: ['its certificate is not valid yet', 'check the clocks of this machine and of whoever issued it'],
  DEPTH_ZERO_SELF_SIGNED_CERT: [
    'it presents a self-signed certificate that --ca does not hold',
    "give the server a certificate signed by the cluster's CA, or pass the CA it uses as --ca",
  ],
  SELF_SIGNED_CERT_IN_CHAIN: [
    'its chain ends in a CA that --ca does not hold',
    "pass the CA that signed the server's certificate as --ca, or reissue the server's certificate from yours",
  ],
};

function untrusted(code: string): Outcome {
  const [why, what] = UNTRUSTED[code] ?? [
    'its certificate was not signed by a CA in --ca',
    "pass the CA that signed it as --ca (kafka-mtls inspect shows the issuer), or reissue the server's " +
      "certificate from yours; if an intermediate signed it, the server's keystore must hold the chain",
  ];
  return { code: 'server-untrusted', sentence: `server certificate not trusted: ${why} (${code})`, hint: what };
}

/**
 * As Kafka's Java clients check it, by the one function plan and verify use too (servesSan): a DNS name against DNS
 * SANs (a wildcard covers one left-most label), an IP against IP SANs only; the subject's CN is never consulted.
 */
export function nameMismatch(o: Pick<Observation, 'leaf'>, name: string): Outcome | undefined {
  if (!o.leaf) return undefined;
  const ip = isIP(name) !== 0;
  if (servesSan(o.leaf, { kind: ip ? 'IP' : 'DNS', value: name })) return undefined;
  const sans = o.leaf.subjectAltName ?? 'no SANs';
  const kind = ip ? 'IP address' : 'DNS name';
  return {
    code: 'name-mismatch',
    sentence: `the server's certificate does not cover the ${kind} ${name}; it has ${sans}`,
    hint: ip
      ? `clients connecting by IP need an IP SAN: reissue with --san IP:${name}, or connect by a DNS name it has ` +
        '(--servername NAME checks that name)'
      : `reissue the certificate with --san ${name}, or connect by a name it has (--servername NAME checks that name)`,
  };
}
