import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Java's verdict on a pair that will shake hands: a client (a Kafka client,
 * or a broker on the inter-broker listener) and a broker, each with its
 * keystore and truststore loaded as Kafka loads them, meet in an in-memory
 * SSLEngine handshake. Kafka's defaults: SunX509 key managers, PKIX trust
 * managers, HTTPS endpoint identification on the broker's advertised name,
 * ssl.client.auth=required. The verdict is JSSE's own: this class decides
 * nothing; it reports what the engines threw, and which of them threw it
 * first (the side that refused; the other received the alert).
 *
 * Arguments, in groups:
 *   store ID PATH TYPE PASSWORD_ENV KEY_PASSWORD_ENV  ("-" for no variable)
 *   pair ID CLIENT_KEYSTORE CLIENT_TRUSTSTORE SERVER_KEYSTORE SERVER_TRUSTSTORE HOST PROTOCOL
 *   suites ID CLIENT_SUITES SERVER_SUITES  (a pair's ssl.cipher.suites, comma-separated; "-" for the JVM's)
 * (store IDs, HOST "-" for no endpoint identification). Passwords come from
 * the host's environment, never from the arguments. Output: one JSON object
 * per line, each store first, then each pair.
 */
public final class TlsJudge {
  private TlsJudge() {}

  /** A store loaded as Kafka loads it, or why it could not be. */
  static final class Loaded {
    String id;
    KeyStore store;
    KeyManager[] keyManagers;
    TrustManager[] trustManagers;
    String keyError;
    String trustError;
    String loadError;
  }

  static int run(String[] args) throws Exception {
    List<String[]> declared = new ArrayList<>();
    List<String[]> pairs = new ArrayList<>();
    for (int i = 0; i < args.length; ) {
      if (args[i].equals("store") && i + 5 < args.length) {
        declared.add(java.util.Arrays.copyOfRange(args, i + 1, i + 6));
        i += 6;
      } else if (args[i].equals("suites") && i + 3 < args.length) {
        SUITES.put(args[i + 1], new String[] {args[i + 2], args[i + 3]});
        i += 4;
      } else if (args[i].equals("pair") && i + 7 < args.length) {
        pairs.add(java.util.Arrays.copyOfRange(args, i + 1, i + 8));
        i += 8;
      } else {
        System.out.println("{\"error\":" + json("cannot read the request at argument " + i + ": " + args[i]) + "}");
        return 2;
      }
    }
    // Loads (PKCS12's key derivation) and handshakes (RSA) are CPU-bound and independent: one thread per core.
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
    try {
      List<Future<Loaded>> loading = new ArrayList<>();
      for (String[] d : declared) loading.add(pool.submit(() -> load(d[0], d[1], d[2], env(d[3]), env(d[4]))));
      Map<String, Loaded> stores = new HashMap<>();
      for (Future<Loaded> f : loading) {
        Loaded l = f.get();
        stores.put(l.id, l);
        System.out.println(describe(l));
      }
      List<Future<String>> judging = new ArrayList<>();
      for (String[] p : pairs) judging.add(pool.submit(() -> judge(p, stores)));
      for (Future<String> f : judging) System.out.println(f.get());
    } finally {
      pool.shutdown();
      // The next request may name other files by the same ids.
      CONTEXTS.clear();
      SUITES.clear();
    }
    return 0;
  }

  private static char[] env(String name) {
    if (name.equals("-")) return null;
    String v = System.getenv(name);
    return v == null ? null : v.toCharArray();
  }

  /** KeyStore.load with the store password, then the key managers (key password) and the trust managers. */
  static Loaded load(String id, String path, String type, char[] password, char[] keyPassword) {
    Loaded l = new Loaded();
    l.id = id;
    try (InputStream in = new FileInputStream(path)) {
      KeyStore ks = KeyStore.getInstance(type);
      ks.load(in, password);
      l.store = ks;
    } catch (Exception e) {
      l.loadError = message(e);
      return l;
    }
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
      // Kafka: ssl.key.password when set, else the store password.
      kmf.init(l.store, keyPassword != null ? keyPassword : password);
      l.keyManagers = kmf.getKeyManagers();
    } catch (Exception e) {
      l.keyError = message(e);
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(l.store);
      l.trustManagers = tmf.getTrustManagers();
    } catch (Exception e) {
      l.trustError = message(e);
    }
    return l;
  }

  private static String describe(Loaded l) {
    StringBuilder b = new StringBuilder("{\"store\":").append(json(l.id));
    if (l.loadError != null) return b.append(",\"loaded\":false,\"error\":").append(json(l.loadError)).append("}").toString();
    b.append(",\"loaded\":true,\"type\":").append(json(l.store.getType()));
    int keys = 0;
    int trusted = 0;
    String subject = null;
    try {
      for (Enumeration<String> e = l.store.aliases(); e.hasMoreElements(); ) {
        String a = e.nextElement();
        if (l.store.isKeyEntry(a)) {
          keys++;
          java.security.cert.Certificate c = l.store.getCertificate(a);
          // The name Kafka maps: the certificate's subject as X500Principal.getName() gives it (RFC 2253).
          if (subject == null && c instanceof java.security.cert.X509Certificate)
            subject = ((java.security.cert.X509Certificate) c).getSubjectX500Principal().getName();
        } else if (l.store.isCertificateEntry(a)) trusted++;
      }
    } catch (Exception e) {
      // Counted as far as the store let it.
    }
    b.append(",\"keyEntries\":").append(keys).append(",\"trustedEntries\":").append(trusted);
    if (subject != null) b.append(",\"subject\":").append(json(subject));
    if (l.keyError != null) b.append(",\"keyError\":").append(json(l.keyError));
    if (l.trustError != null) b.append(",\"trustError\":").append(json(l.trustError));
    return b.append("}").toString();
  }

  /** One pair, one protocol: the handshake, then a record each way, as a Kafka request and its answer. */
  static String judge(String[] p, Map<String, Loaded> stores) {
    String id = p[0];
    String host = p[5].equals("-") ? null : p[5];
    String protocol = p[6];
    StringBuilder b = new StringBuilder("{\"pair\":").append(json(id)).append(",\"protocol\":").append(json(protocol));
    Loaded ck = stores.get(p[1]), ct = stores.get(p[2]), sk = stores.get(p[3]), st = stores.get(p[4]);
    String setup = unusable("client", ck, ct);
    if (setup == null) setup = unusable("server", sk, st);
    if (setup != null) return b.append(",\"ok\":false,\"refusedBy\":\"setup\",\"error\":").append(json(setup)).append("}").toString();
    SSLEngine client, server;
    try {
      SSLContext cc = context(ck, ct);
      SSLContext sc = context(sk, st);
      // A JDK 8 before 8u261 has no TLSv1.3: nothing to judge there, which is not a refusal.
      if (!java.util.Arrays.asList(cc.getSupportedSSLParameters().getProtocols()).contains(protocol))
        return b.append(",\"ok\":false,\"refusedBy\":\"unsupported\",\"error\":")
            .append(json("this JVM (Java " + System.getProperty("java.version") + ") does not speak " + protocol))
            .append("}")
            .toString();
      // A port of its own per handshake: a context's sessions are cached by host and port, and a resumed session
      // would skip the very checks being judged.
      int port = 1 + PORTS.getAndIncrement() % 65535;
      client = host == null ? cc.createSSLEngine("judge", port) : cc.createSSLEngine(host, port);
      client.setUseClientMode(true);
      SSLParameters cp = client.getSSLParameters();
      if (host != null) cp.setEndpointIdentificationAlgorithm("HTTPS");
      cp.setProtocols(new String[] {protocol});
      String[] suites = SUITES.get(id);
      // Kafka's ssl.cipher.suites: SslFactory sets them on the engine, which refuses a name it does not know.
      if (suites != null && !suites[0].equals("-")) cp.setCipherSuites(suites[0].split(","));
      try {
        client.setSSLParameters(cp);
      } catch (IllegalArgumentException e) {
        return refusedAtSetup(b, "client", e);
      }
      server = sc.createSSLEngine();
      server.setUseClientMode(false);
      SSLParameters sp = server.getSSLParameters();
      sp.setProtocols(new String[] {protocol});
      sp.setNeedClientAuth(true);
      if (suites != null && !suites[1].equals("-")) sp.setCipherSuites(suites[1].split(","));
      try {
        server.setSSLParameters(sp);
      } catch (IllegalArgumentException e) {
        return refusedAtSetup(b, "server", e);
      }
    } catch (Exception e) {
      return b.append(",\"ok\":false,\"refusedBy\":\"setup\",\"error\":").append(json(message(e))).append("}").toString();
    }
    Handshake h = new Handshake(client, server);
    h.run();
    if (h.clientError == null && h.serverError == null && h.clientGot && h.serverGot) {
      b.append(",\"ok\":true,\"negotiated\":").append(json(client.getSession().getProtocol()));
      b.append(",\"cipher\":").append(json(client.getSession().getCipherSuite()));
      b.append(",\"clientPrincipal\":").append(json(peer(server.getSession())));
      b.append(",\"serverPrincipal\":").append(json(peer(client.getSession())));
      return b.append("}").toString();
    }
    b.append(",\"ok\":false");
    // The side that refused is the one whose own check threw; the other received its alert.
    boolean clientLocal = h.clientError != null && !isAlert(h.clientError);
    boolean serverLocal = h.serverError != null && !isAlert(h.serverError);
    String refusedBy;
    if (clientLocal && serverLocal) refusedBy = h.clientFirst ? "client" : "server";
    else if (clientLocal) refusedBy = "client";
    else if (serverLocal) refusedBy = "server";
    else if (h.clientError != null) refusedBy = "server";
    else if (h.serverError != null) refusedBy = "client";
    else refusedBy = "stalled";
    b.append(",\"refusedBy\":").append(json(refusedBy));
    String own = refusedBy.equals("client") ? h.clientError : h.serverError;
    String other = refusedBy.equals("client") ? h.serverError : h.clientError;
    b.append(",\"error\":").append(json(own != null ? own : "the handshake did not finish"));
    if (other != null) b.append(",\"peerError\":").append(json(other));
    return b.append("}").toString();
  }

  /** A side that refuses its own configuration (an unknown cipher suite), before any handshake. */
  private static String refusedAtSetup(StringBuilder b, String side, Exception e) {
    return b.append(",\"ok\":false,\"refusedBy\":").append(json(side)).append(",\"error\":").append(json(message(e)))
        .append("}")
        .toString();
  }

  private static final Map<String, String[]> SUITES = new java.util.concurrent.ConcurrentHashMap<>();
  private static final java.util.concurrent.atomic.AtomicInteger PORTS = new java.util.concurrent.atomic.AtomicInteger();
  private static final Map<String, SSLContext> CONTEXTS = new java.util.concurrent.ConcurrentHashMap<>();

  /** One context per keystore and truststore: initialising one costs more than a handshake. */
  private static SSLContext context(Loaded keys, Loaded trust) throws Exception {
    String key = keys.id + "\u0000" + trust.id;
    SSLContext c = CONTEXTS.get(key);
    if (c != null) return c;
    c = SSLContext.getInstance("TLS");
    c.init(keys.keyManagers, trust.trustManagers, null);
    CONTEXTS.put(key, c);
    return c;
  }

  private static boolean isAlert(String m) {
    return m != null && m.startsWith("Received fatal alert");
  }

  private static String unusable(String side, Loaded ks, Loaded ts) {
    if (ks == null || ts == null) return "the " + side + "'s stores were not declared";
    if (ks.loadError != null) return "the " + side + "'s keystore does not load: " + ks.loadError;
    if (ks.keyError != null) return "the " + side + "'s key cannot be read: " + ks.keyError;
    if (ts.loadError != null) return "the " + side + "'s truststore does not load: " + ts.loadError;
    if (ts.trustError != null) return "the " + side + "'s truststore cannot be used: " + ts.trustError;
    return null;
  }

  private static String peer(SSLSession s) {
    try {
      Principal p = s.getPeerPrincipal();
      // Kafka's principal is the X500Principal's RFC 2253 name.
      return p instanceof javax.security.auth.x500.X500Principal
          ? ((javax.security.auth.x500.X500Principal) p).getName()
          : p.getName();
    } catch (Exception e) {
      return null;
    }
  }

  /** Two engines pumped against each other in memory until both have read the other's record, or one fails. */
  static final class Handshake {
    final SSLEngine client, server;
    String clientError, serverError;
    boolean clientFirst;
    boolean clientGot, serverGot;
    private ByteBuffer toServer = ByteBuffer.allocate(1 << 17), toClient = ByteBuffer.allocate(1 << 17);
    private final ByteBuffer clientApp = ByteBuffer.wrap("request".getBytes());
    private final ByteBuffer serverApp = ByteBuffer.wrap("answer".getBytes());
    private ByteBuffer clientIn, serverIn;

    Handshake(SSLEngine client, SSLEngine server) {
      this.client = client;
      this.server = server;
      clientIn = ByteBuffer.allocate(client.getSession().getApplicationBufferSize() + 64);
      serverIn = ByteBuffer.allocate(server.getSession().getApplicationBufferSize() + 64);
    }

    void run() {
      for (int round = 0; round < 200; round++) {
        boolean moved = false;
        moved |= wrap(true);
        moved |= wrap(false);
        moved |= unwrap(true);
        moved |= unwrap(false);
        if (clientGot && serverGot) return;
        boolean failed = clientError != null || serverError != null;
        if (failed && !moved) return;
        if (!moved && client.isOutboundDone() && server.isOutboundDone()) return;
      }
    }

    /** The side's engine writes what it has to send: handshake messages, an alert, or its record once done. */
    private boolean wrap(boolean isClient) {
      SSLEngine e = isClient ? client : server;
      ByteBuffer out = isClient ? toServer : toClient;
      ByteBuffer app = isClient ? clientApp : serverApp;
      if (e.isOutboundDone()) return false;
      int before = out.position();
      try {
        // The server answers only once it has the client's record, as a broker answers a request.
        ByteBuffer src = isClient || serverGot ? app : ByteBuffer.allocate(0);
        SSLEngineResult r = e.wrap(src, out);
        tasks(e, r);
      } catch (SSLException x) {
        fail(isClient, x);
      }
      return out.position() != before;
    }

    private boolean unwrap(boolean isClient) {
      SSLEngine e = isClient ? client : server;
      ByteBuffer in = isClient ? toClient : toServer;
      ByteBuffer app = isClient ? clientIn : serverIn;
      if (e.isInboundDone()) return false;
      in.flip();
      boolean moved = false;
      try {
        while (in.hasRemaining()) {
          int before = in.position();
          SSLEngineResult r = e.unwrap(in, app);
          tasks(e, r);
          if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || in.position() == before) break;
          moved = true;
          if (r.getStatus() == SSLEngineResult.Status.CLOSED) break;
        }
      } catch (SSLException x) {
        fail(isClient, x);
        moved = true;
      } finally {
        in.compact();
      }
      if (app.position() > 0) {
        if (isClient) clientGot = true;
        else serverGot = true;
      }
      return moved;
    }

    private static void tasks(SSLEngine e, SSLEngineResult r) {
      if (r.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_TASK) return;
      Runnable t;
      while ((t = e.getDelegatedTask()) != null) t.run();
    }

    private void fail(boolean isClient, SSLException x) {
      if (isClient && clientError == null) {
        clientError = message(x);
        if (serverError == null) clientFirst = true;
      } else if (!isClient && serverError == null) {
        serverError = message(x);
      }
    }
  }

  /** The exception's message and its causes', as JSSE's own words. */
  static String message(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null && b.length() < 2000; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage();
      String said = c.getClass().getName() + (m == null ? "" : ": " + m);
      if (b.length() > 0) {
        if (m != null && b.indexOf(m) >= 0) continue;
        b.append(" <- ");
      }
      b.append(said);
    }
    return b.toString();
  }

  static String json(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
