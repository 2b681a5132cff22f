import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Runs keytool commands one after another in one JVM: the JDK's own keytool
 * (sun.security.tools.keytool.Main, what the keytool launcher starts), with
 * the arguments the keytool launcher would get.
 *
 * Why: each keytool process is a JVM that starts cold, and most of its half
 * second goes to PKCS12's key derivation running in code the JIT has not yet
 * compiled. In one JVM the second store costs a fraction of the first.
 *
 * Protocol, one command at a time, every field base64 of UTF-8:
 *   in:  a line with the number of arguments, then one line per argument
 *   out: "ready <java.version>" once; then per command
 *        "done <exit code> <stdout> <stderr>", or, when keytool ends the JVM
 *        itself (System.exit after an error), "exit <stdout> <stderr>" and
 *        the process's exit status is the command's.
 * keytool's standard input is empty, so that a prompt fails instead of
 * reading the protocol.
 *
 * A command whose first argument is "@handshake" or "@principal" is not
 * keytool's: TlsJudge (in-memory TLS handshakes, as Kafka makes them) or
 * PrincipalRules (ssl.principal.mapping.rules on java.util.regex) runs it in
 * this JVM, with the same reply. That is how verify asks Java's own verdict
 * without a JVM of its own.
 */
public final class KeytoolHost {
  private static final Object lock = new Object();
  private static ByteArrayOutputStream out;
  private static ByteArrayOutputStream err;

  public static void main(String[] argv) throws Exception {
    PrintStream protocol = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.setIn(new ByteArrayInputStream(new byte[0]));
    Method main = Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      synchronized (lock) {
        if (out != null) protocol.println("exit " + b64(out.toByteArray()) + " " + b64(err.toByteArray()));
      }
    }));
    protocol.println("ready " + b64(System.getProperty("java.version").getBytes(StandardCharsets.UTF_8)));
    // The first keytool command would load and compile the PKCS12 code; this
    // does it in memory while the caller is still making keys.
    Thread warm = new Thread(KeytoolHost::warmUp, "warm-up");
    warm.setDaemon(true);
    warm.start();

    String line;
    while ((line = in.readLine()) != null) {
      String[] args = new String[Integer.parseInt(line.trim())];
      for (int i = 0; i < args.length; i++) {
        args[i] = new String(Base64.getDecoder().decode(in.readLine()), StandardCharsets.UTF_8);
      }
      synchronized (lock) {
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
      }
      System.setOut(new PrintStream(out, true, "UTF-8"));
      System.setErr(new PrintStream(err, true, "UTF-8"));
      int code = 0;
      try {
        if (args.length > 0 && args[0].equals("@handshake")) code = TlsJudge.run(rest(args));
        else if (args.length > 0 && args[0].equals("@principal")) code = PrincipalRules.run(rest(args));
        else main.invoke(null, (Object) args);
      } catch (RuntimeException e) {
        e.printStackTrace();
        code = 3;
      } catch (InvocationTargetException e) {
        // keytool exits on its own errors; an exception here is one it did not expect.
        e.getCause().printStackTrace();
        code = 1;
      }
      System.out.flush();
      System.err.flush();
      synchronized (lock) {
        protocol.println("done " + code + " " + b64(out.toByteArray()) + " " + b64(err.toByteArray()));
        out = null;
        err = null;
      }
    }
  }

  /** A PKCS12 store written and read back in memory, with a throwaway password: no file, no output. */
  private static void warmUp() {
    try {
      char[] pw = "warm-up".toCharArray();
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, pw);
      javax.crypto.KeyGenerator kg = javax.crypto.KeyGenerator.getInstance("AES");
      kg.init(128);
      ks.setEntry("k", new java.security.KeyStore.SecretKeyEntry(kg.generateKey()), new java.security.KeyStore.PasswordProtection(pw));
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      ks.store(bytes, pw);
      java.security.KeyStore back = java.security.KeyStore.getInstance("PKCS12");
      back.load(new ByteArrayInputStream(bytes.toByteArray()), pw);
      back.getKey("k", pw);
    } catch (Exception e) {
      // Only speed is lost.
    }
  }

  private static String[] rest(String[] args) {
    return java.util.Arrays.copyOfRange(args, 1, args.length);
  }

  private static String b64(byte[] b) {
    // An empty field would leave two spaces in a row: "-" stands for nothing.
    return b.length == 0 ? "-" : Base64.getEncoder().encodeToString(b);
  }
}
