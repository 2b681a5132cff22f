import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;

/**
 * Runs keytool commands in one JVM, several at once, each on a thread of its
 * own: the JDK's own keytool (sun.security.tools.keytool.Main, what the
 * keytool launcher starts), with the arguments the keytool launcher would get.
 *
 * Why: each keytool process is a JVM that starts cold, and most of its half
 * second goes to PKCS12's key derivation running in code the JIT has not yet
 * compiled. In one JVM the second store costs a fraction of the first, and
 * independent stores are made on every core at once.
 *
 * Protocol, every field base64 of UTF-8:
 *   in:  per command a line "<id> <number of arguments>", then one line per
 *        argument; the caller sends a command whenever it likes (it limits
 *        how many run at once) and gets the replies in the order they end
 *   out: "ready <java.version>" once; then per command
 *        "done <id> <exit code> <stdout> <stderr>".
 *        keytool before JDK 22 ends the JVM itself after an error
 *        (System.exit in keytool's run). The JVM then says, for each command
 *        still running, "exit <id> <stdout> <stderr>" for the one that ended
 *        it (the process's exit status is its exit code) and "lost <id>
 *        <stdout> <stderr>" for the others, and nothing more.
 * keytool's standard input is empty, so that a prompt fails instead of
 * reading the protocol.
 *
 * Each command's output is its own: System.out and System.err are replaced
 * once, by streams that write to the buffers of the command the writing
 * thread runs (and the threads it starts inherit it). keytool's state is its
 * Main object, one per command; its static fields are set once when the class
 * loads and only read after (a resource bundle, a collator whose compare is
 * synchronized, algorithm constraints JSSE shares between threads too);
 * test/integration/keytool-host.test.ts runs many commands at once to check.
 *
 * A command whose first argument is "@handshake", "@principal" or "@genkey" is
 * not keytool's: TlsJudge (in-memory TLS handshakes, as Kafka makes them),
 * PrincipalRules (ssl.principal.mapping.rules on java.util.regex) or genkey (a
 * leaf's RSA key, from the JDK's generator) runs it in
 * this JVM, with the same reply. That is how verify asks Java's own verdict
 * without a JVM of its own.
 */
public final class KeytoolHost {
  /** One command being run: what it printed, and the thread that runs it. */
  private static final class Command {
    final String id;
    final Thread thread;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    Command(String id, Thread thread) {
      this.id = id;
      this.thread = thread;
    }
  }

  /** The command whose output System.out and System.err are on this thread (and on the threads it starts). */
  private static final InheritableThreadLocal<Command> current = new InheritableThreadLocal<>();
  /** Guards the protocol's replies, `running` and `ended`, so that no reply follows the JVM's last words. */
  private static final Object lock = new Object();
  private static final Map<String, Command> running = new ConcurrentHashMap<>();
  private static boolean ended;
  private static PrintStream protocol;
  /** keytool's `int run(String[], PrintStream)` (JDK 22 on: it never exits), else its main (it exits on errors). */
  private static Method keytool;
  /** With run: makes the Main object each command runs on (keytool's state lives in it). */
  private static java.lang.reflect.Constructor<?> keytoolObject;

  /** Where System.out and System.err write: the current command's buffer; the JVM's stderr outside any command. */
  private static final class ByCommand extends OutputStream {
    private final boolean err;
    private final OutputStream outside;

    ByCommand(boolean err, OutputStream outside) {
      this.err = err;
      this.outside = outside;
    }

    private OutputStream target() {
      Command c = current.get();
      return c == null ? outside : err ? c.err : c.out;
    }

    @Override
    public void write(int b) throws java.io.IOException {
      target().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      target().write(b, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      target().flush();
    }
  }

  public static void main(String[] argv) throws Exception {
    protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.setIn(new ByteArrayInputStream(new byte[0]));
    // Nothing but the protocol reaches stdout: what no command printed goes to the JVM's stderr.
    OutputStream jvmErr = new FileOutputStream(FileDescriptor.err);
    System.setOut(new PrintStream(new ByCommand(false, jvmErr), true, "UTF-8"));
    System.setErr(new PrintStream(new ByCommand(true, jvmErr), true, "UTF-8"));
    findKeytool();
    Runtime.getRuntime().addShutdownHook(new Thread(KeytoolHost::lastWords, "last words"));
    protocol.println("ready " + b64(System.getProperty("java.version").getBytes(StandardCharsets.UTF_8)));
    // The first keytool command would load and compile keytool's and PKCS12's code; this does it in
    // memory while the caller is still making keys.
    Thread warm = new Thread(KeytoolHost::warmUp, "warm-up");
    warm.setDaemon(true);
    warm.start();

    ExecutorService pool = Executors.newCachedThreadPool();
    String line;
    while ((line = in.readLine()) != null) {
      String[] head = line.trim().split(" ");
      String id = head[0];
      String[] args = new String[Integer.parseInt(head[1])];
      for (int i = 0; i < args.length; i++) {
        args[i] = new String(Base64.getDecoder().decode(in.readLine()), StandardCharsets.UTF_8);
      }
      pool.execute(() -> runCommand(id, args));
    }
    // The caller closed stdin: the commands still running end, then the JVM.
    pool.shutdown();
    pool.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
  }

  private static void findKeytool() throws Exception {
    Class<?> main = Class.forName("sun.security.tools.keytool.Main");
    try {
      Method run = main.getMethod("run", String[].class, PrintStream.class);
      if (run.getReturnType() == int.class && Modifier.isPublic(run.getModifiers())) {
        keytoolObject = main.getConstructor();
        keytool = run;
        return;
      }
    } catch (NoSuchMethodException e) {
      // Before JDK 22 run is private and exits: main it is.
    }
    keytool = main.getMethod("main", String[].class);
  }

  private static void runCommand(String id, String[] args) {
    Command c = new Command(id, Thread.currentThread());
    synchronized (lock) {
      if (ended) return;
      running.put(id, c);
    }
    current.set(c);
    int code = invoke(args);
    System.out.flush();
    System.err.flush();
    current.remove();
    synchronized (lock) {
      running.remove(id);
      if (!ended) protocol.println("done " + id + " " + code + " " + b64(c.out) + " " + b64(c.err));
    }
  }

  private static int invoke(String[] args) {
    try {
      if (args.length > 0 && args[0].equals("@handshake")) {
        // TlsJudge keeps its SSLContexts in a static map for the length of one request.
        synchronized (TlsJudge.class) {
          return TlsJudge.run(rest(args));
        }
      }
      if (args.length > 0 && args[0].equals("@principal")) return PrincipalRules.run(rest(args));
      if (args.length > 0 && args[0].equals("@genkey")) return genkey(rest(args));
      if (keytoolObject != null) return (Integer) keytool.invoke(keytoolObject.newInstance(), args, System.out);
      keytool.invoke(null, (Object) args);
      return 0;
    } catch (InvocationTargetException e) {
      // keytool reports its own errors; an exception here is one it did not expect (a process would print
      // it and exit 1).
      e.getCause().printStackTrace();
      return 1;
    } catch (Throwable e) {
      // Ours, or the judges': every command is answered, whatever it threw (an Error too).
      e.printStackTrace();
      return 3;
    }
  }

  /**
   * The shutdown hook: a keytool command called System.exit (before JDK 22, after its error), or the JVM
   * was told to stop. The command whose thread is in Runtime.exit ended it; the others are lost with it.
   */
  private static void lastWords() {
    synchronized (lock) {
      ended = true;
      for (Command c : running.values()) {
        String kind = isExiting(c.thread) ? "exit " : "lost ";
        protocol.println(kind + c.id + " " + b64(c.out) + " " + b64(c.err));
      }
    }
  }

  private static boolean isExiting(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().equals("java.lang.Runtime") && e.getMethodName().equals("exit")) return true;
    }
    return false;
  }

  /**
   * A self-signed certificate made for the warm-up with openssl, whose key was thrown away: public data
   * only, parsed and checked as keytool checks the CA it imports.
   */
  private static final String WARM_UP_CERTIFICATE =
      "MIIDSzCCAjOgAwIBAgIUWUgZwdmLGU3wYkEJeHvN8u03GfgwDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpa2Fma2EtbXRscyB3" +
      "YXJtLXVwLCB3aG9zZSBrZXkgbm8gb25lIGtlcHQwIBcNMjYxMjA0MjEyNjU0WhgPMjEyNjExMTAyMTI2NTRaMDQxMjAwBgNVBAMM" +
      "KWthZmthLW10bHMgd2FybS11cCwgd2hvc2Uga2V5IG5vIG9uZSBrZXB0MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" +
      "j2XA5nXFFKH7PJZptsO/YoxkYmydwvAiRhL+VltBgDnmuvcsJAS4dS+SI2L7EjxHeJbQ8m1b3EMdzQ/z97OIFSZVgCkNAiUTClHo" +
      "eJO+rlZoaQMAJyKTDvdaJPB3MOdB/ljZoqaeJQZulwftzsoszIgA58VI2Yo+WHrK0oD14nh20B5UgvCVvNYhUJ1FdzW0YjxCbdqW" +
      "2KTRMcioNC76+kYrdw9puGB8DnqCW+2XeJleq/wdvnhApnadc1Xi7PIoPEo4BLy319kO0GPGMFotfLN+vcBRD1dsW94EvpHRHT2h" +
      "86W3XqDqI0Ga0OEcYg/gLVbyXjUfEEyH/fBLY3LocwIDAQABo1MwUTAdBgNVHQ4EFgQUHCkcmnsQCjwr5HtWDtUpWKsQOKIwHwYD" +
      "VR0jBBgwFoAUHCkcmnsQCjwr5HtWDtUpWKsQOKIwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEANH/z6qhDiJLc" +
      "1QhfczrxC+FGUYDhJrNd3+luTFJr0uCLYD+9BBd8/vF6DlRJmT7f2bkykp4FI0eSmI4dytPu/TPAd7T3kyMouvSbuzdDNpbN8yPm" +
      "Si6UR02II4+YuM8ao3uP4bQEIRxevOTC4dJYIzZ7sQ2muiQx53uymK92dG6HMXojtO22ZQOgFw0L8vpQ3AXEKM9vh1PgRE+uGyHy" +
      "SlTURAYjCbqVOHcLtycNMcsPvGt1xkX/EAxTHQC5JaUpgh+ApkKky4It12yurMtcTBdIMyfvOxvEHYK6Dw9s5GYzTLdr2yEfIwF/" +
      "F1ngd21kDkRyA9rN0Il86bdmT8VfWA==";

  /**
   * What the first commands need, made ready in memory with throwaway data, no file, no output, while the
   * caller makes the CA key: a certificate parsed and its signature checked (RSA), as -importcert does; a
   * PKCS12 store written and read back, which compiles the key derivation (PBKDF2 with HMAC-SHA256), AES and
   * the MAC; the one-iteration PBE with SHA-1 and 3DES of the bundles openssl makes for -importkeystore.
   * Measured (BENCHMARKS.md): keytool's own class loaded here as well saved nothing measurable.
   */
  private static void warmUp() {
    current.set(new Command("warm-up", Thread.currentThread()));
    try {
      byte[] der = Base64.getDecoder().decode(WARM_UP_CERTIFICATE);
      Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
      cert.verify(cert.getPublicKey());
      KeyGenerator aes = KeyGenerator.getInstance("AES");
      aes.init(128);
      char[] pw = "warm-up".toCharArray();
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, pw);
      ks.setEntry("k", new KeyStore.SecretKeyEntry(aes.generateKey()), new KeyStore.PasswordProtection(pw));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ks.store(bytes, pw);
      KeyStore back = KeyStore.getInstance("PKCS12");
      back.load(new ByteArrayInputStream(bytes.toByteArray()), pw);
      back.getKey("k", pw);
      SecretKey pbe = SecretKeyFactory.getInstance("PBEWithSHA1AndDESede").generateSecret(new PBEKeySpec(pw));
      PBEParameterSpec once = new PBEParameterSpec(new byte[8], 1);
      Cipher des = Cipher.getInstance("PBEWithSHA1AndDESede");
      des.init(Cipher.ENCRYPT_MODE, pbe, once);
      des.doFinal(der);
      Mac mac = Mac.getInstance("HmacPBESHA1");
      mac.init(pbe, once);
      mac.doFinal(der);
    } catch (Throwable e) {
      // Only speed is lost.
    }
  }

  /**
   * {@code @genkey RSA BITS FILE}: a private key from the JDK's generator, the one keytool -genkeypair uses (the
   * script's brokers' keys came from it), written as openssl writes an unencrypted key: PKCS#8 in PEM, 64 columns,
   * to a new file that only its owner can read. Java makes an RSA-2048 key in about half the CPU time of OpenSSL
   * 3.0, whose generator runs 64 Miller-Rabin rounds a prime (BENCHMARKS.md).
   */
  private static int genkey(String[] a) throws Exception {
    if (a.length != 3 || !a[0].equals("RSA")) {
      System.err.println("usage: @genkey RSA BITS FILE");
      return 2;
    }
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(Integer.parseInt(a[1]));
    byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(pkcs8);
    String text = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    byte[] pem = text.getBytes(StandardCharsets.US_ASCII);
    Path path = Paths.get(a[2]);
    // Created 0600 (whatever the umask), never over a file that is there.
    Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(path, pem, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    return 0;
  }

  private static String[] rest(String[] args) {
    return java.util.Arrays.copyOfRange(args, 1, args.length);
  }

  private static String b64(ByteArrayOutputStream b) {
    return b64(b.toByteArray());
  }

  private static String b64(byte[] b) {
    // An empty field would leave two spaces in a row: "-" stands for nothing.
    return b.length == 0 ? "-" : Base64.getEncoder().encodeToString(b);
  }
}
