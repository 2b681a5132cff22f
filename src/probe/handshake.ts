import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';

/**
 * One TLS connection, watched until the server has had its say. In TLS 1.3 the
 * client's handshake ends before the server has checked the client's certificate:
 * its verdict (an alert, or session tickets and answers) comes one round trip
 * later, so the connection stays open until that verdict arrives. What is seen is
 * recorded as facts; outcome.ts turns them into words.
 */
export type Protocol = 'TLSv1.3' | 'TLSv1.2';

export interface Observation {
  readonly protocol: Protocol;
  /** The TCP connection was accepted. */
  tcpConnected: boolean;
  /** The client's side of the handshake completed. */
  handshakeDone: boolean;
  /** A CertificateRequest arrived (the client then shares signature algorithms with the server). */
  certRequested?: boolean;
  cipher?: string;
  /** The server's chain, leaf first, as Node completed it; empty when the handshake did not finish. */
  chain: Array<{ subject: string; issuer: string }>;
  /** The server's certificate, when it arrived (also after a failed handshake). */
  leaf?: X509Certificate;
  /** Why the chain does not verify against the given CAs (Node's code), or undefined when it does. */
  authorizationError?: string;
  /** How the server's acceptance showed after a TLS 1.3 handshake. */
  evidence?: 'handshake' | 'session-ticket' | 'answer' | 'quiet';
  /** Milliseconds waited after the handshake for the server's verdict (TLS 1.3). */
  waitedMs?: number;
  /** The server closed the connection after the handshake without an alert or an answer. */
  closedAfterHandshake?: boolean;
  error?: { code: string; message: string; reason?: string; alert?: number };
  timedOut?: boolean;
  cancelled?: boolean;
}

export interface AttemptRequest {
  readonly host: string;
  readonly port: number;
  /** The name sent as SNI (not sent when it is an IP address). */
  readonly servername: string;
  readonly protocol: Protocol;
  readonly context: SecureContext;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** The least time to wait for an alert after a TLS 1.3 handshake, when neither a ticket nor an answer comes. */
const SETTLE_MIN_MS = 1000;

/**
 * A Kafka ApiVersions request (v0, correlation id 1, client id "kafka-mtls-probe"): every broker answers it,
 * whatever its version, so an answer proves the broker accepted the connection.
 */
const API_VERSIONS = (() => {
  const clientId = Buffer.from('kafka-mtls-probe');
  const b = Buffer.alloc(14 + clientId.length);
  b.writeInt32BE(10 + clientId.length, 0);
  b.writeInt16BE(18, 4); // api key: ApiVersions
  b.writeInt16BE(0, 6); // api version
  b.writeInt32BE(1, 8); // correlation id
  b.writeInt16BE(clientId.length, 12);
  clientId.copy(b, 14);
  return b;
})();

export function attempt(req: AttemptRequest): Promise<Observation> {
  return new Promise((resolve) => {
    const obs: Observation = { protocol: req.protocol, tcpConnected: false, handshakeDone: false, chain: [] };
    if (req.signal?.aborted) return resolve({ ...obs, cancelled: true });
    const started = Date.now();
    let handshakeAt = 0;
    let settleTimer: NodeJS.Timeout | undefined;
    const socket = connect({
      host: req.host,
      port: req.port,
      // SNI carries host names only (RFC 6066); an IP is checked against IP SANs instead.
      servername: isIP(req.servername) ? undefined : req.servername,
      secureContext: req.context,
      // We judge the chain and the name ourselves, after the server has had its say.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    let done = false;
    const finish = (found: Partial<Observation>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(settleTimer);
      req.signal?.removeEventListener('abort', onAbort);
      Object.assign(obs, found);
      obs.certRequested ??= certRequested(socket);
      obs.leaf ??= peerLeaf(socket);
      if (obs.handshakeDone && req.protocol === 'TLSv1.3') obs.waitedMs = Date.now() - handshakeAt;
      socket.destroy();
      resolve(obs);
    };
    const onAbort = () => finish({ cancelled: true });
    const timer = setTimeout(
      // Past the handshake, silence until the time-out is the server's acceptance.
      () => finish(obs.handshakeDone ? { evidence: 'quiet' } : { timedOut: true }),
      req.timeoutMs,
    );
    req.signal?.addEventListener('abort', onAbort);
    socket.once('connect', () => (obs.tcpConnected = true));
    socket.once('secureConnect', () => {
      obs.handshakeDone = true;
      handshakeAt = Date.now();
      obs.cipher = socket.getCipher()?.standardName;
      obs.chain = chainOf(socket);
      obs.authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      obs.certRequested = certRequested(socket);
      // TLS 1.2: the server checked our certificate before its Finished, so the verdict is in.
      if (req.protocol === 'TLSv1.2') return finish({ evidence: 'handshake' });
      socket.write(API_VERSIONS);
      const wait = Math.max(SETTLE_MIN_MS, 4 * (handshakeAt - started));
      settleTimer = setTimeout(() => finish({ evidence: 'quiet' }), wait);
    });
    socket.on('session', () => obs.handshakeDone && finish({ evidence: 'session-ticket' }));
    socket.on('data', () => finish({ evidence: 'answer' }));
    socket.on('end', () => finish(obs.handshakeDone ? { closedAfterHandshake: true } : { error: closedError() }));
    socket.on('error', (e: NodeJS.ErrnoException) => finish({ error: describe(e), closedAfterHandshake: undefined }));
  });
}

/** The client shares signature algorithms with the server only once a CertificateRequest has listed them. */
function certRequested(socket: TLSSocket): boolean | undefined {
  try {
    return socket.getSharedSigalgs().length > 0;
  } catch {
    return undefined;
  }
}

function peerLeaf(socket: TLSSocket): X509Certificate | undefined {
  try {
    return socket.getPeerX509Certificate();
  } catch {
    return undefined;
  }
}

function chainOf(socket: TLSSocket): Observation['chain'] {
  const chain: Observation['chain'] = [];
  let c: PeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    const x = new X509Certificate(c.raw);
    chain.push({ subject: oneLine(x.subject), issuer: oneLine(x.issuer) });
    c = (c as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return chain;
}

export const oneLine = (name: string) => name.split('\n').join(', ');

function describe(e: NodeJS.ErrnoException & { reason?: string }): NonNullable<Observation['error']> {
  const alert = /SSL alert number (\d+)/.exec(e.message)?.[1];
  const message = e.message.split('\n')[0]!;
  return { code: e.code ?? 'UNKNOWN', message, reason: e.reason, alert: alert ? Number(alert) : undefined };
}

function closedError(): NonNullable<Observation['error']> {
  return { code: 'ECONNRESET', message: 'the server closed the connection' };
}
