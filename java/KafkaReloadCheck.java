import java.io.File;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reload pre-flight: Kafka's own check of a dynamic SSL update, run from the user's Kafka jars. A broker that
 * is asked to alter listener.name.X.ssl.keystore.location (or truststore) hands the listener's new settings to its
 * SslFactory's validateReconfiguration, which refuses a keystore whose subject changed or whose SANs shrank (unless
 * ssl.allow.dn.changes / ssl.allow.san.changes, Kafka 3.7+), a store it cannot load, and on the inter-broker
 * listener (keystoreVerifiableUsingTruststore) a keystore its truststore does not trust or a truststore that no
 * longer trusts the keystore. This class makes that SslFactory, in server mode, configured with the stores the
 * broker holds now, and asks it about the new ones: nothing here decides, Kafka does.
 *
 * Kafka's classes are loaded by reflection through a URLClassLoader over the jars of its libs directory, so that
 * kafka-mtls needs no Kafka to build and checks with the version the user runs.
 *
 * Arguments: the libs directory, then per check 13 words:
 *   check ID INTER OLD_KEYSTORE NEW_KEYSTORE KEYSTORE_TYPE OLD_TRUSTSTORE NEW_TRUSTSTORE TRUSTSTORE_TYPE
 *         KEYSTORE_PASSWORD_VAR KEY_PASSWORD_VAR TRUSTSTORE_PASSWORD_VAR ALLOW
 * INTER is 1 for the inter-broker listener; the passwords are named by environment variable ("-": none); ALLOW is
 * "-", "dn", "san" or "dn,san" (the broker's ssl.allow.dn.changes / ssl.allow.san.changes set to true).
 * Output, one JSON object per line: {"kafka":"VERSION"} first (or {"error":"..."} and nothing else), then per check
 * {"check":"ID","ok":true}, {"check":"ID","ok":false,"stage":"current"|"new","error":"..."}: "current" when
 * the stores the broker holds now do not load (the check could not be made), "new" when Kafka refuses the update.
 */
public final class KafkaReloadCheck {
  private KafkaReloadCheck() {}

  private static final String PKG = "org.apache.kafka.common.";

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length < 1 || (args.length - 1) % 13 != 0) {
      System.out.println("{\"error\":" + PrincipalRules.json("usage: LIBS_DIR (check ID ... ALLOW)*") + "}");
      return 2;
    }
    ClassLoader kafka;
    String version;
    try {
      kafka = loaderOver(new File(args[0]));
      Class<?> info = Class.forName(PKG + "utils.AppInfoParser", true, kafka);
      version = (String) info.getMethod("getVersion").invoke(null);
    } catch (Throwable e) {
      System.out.println("{\"error\":" + PrincipalRules.json("Kafka's classes did not load from " + args[0] + ": "
          + describe(e)) + "}");
      return 0;
    }
    System.out.println("{\"kafka\":" + PrincipalRules.json(version) + "}");
    for (int i = 1; i < args.length; i += 13) {
      String[] a = new String[13];
      System.arraycopy(args, i, a, 0, 13);
      System.out.println(check(kafka, a));
    }
    return 0;
  }

  private static ClassLoader loaderOver(File libs) throws Exception {
    File[] jars = libs.listFiles((d, n) -> n.endsWith(".jar"));
    if (jars == null || jars.length == 0) throw new IllegalArgumentException("no .jar files in " + libs);
    List<URL> urls = new ArrayList<>();
    for (File j : jars) urls.add(j.toURI().toURL());
    return new URLClassLoader(urls.toArray(new URL[0]), KafkaReloadCheck.class.getClassLoader());
  }

  /** One broker's listener: its SslFactory on the current stores, asked about the new ones. */
  private static String check(ClassLoader kafka, String[] a) {
    String id = a[1];
    boolean inter = a[2].equals("1");
    Object factory;
    try {
      factory = newServerFactory(kafka, inter);
      Map<String, Object> current = parsed(kafka, settings(a, a[3], a[6]));
      factory.getClass().getMethod("configure", Map.class).invoke(factory, current);
    } catch (Throwable e) {
      return verdict(id, "current", describe(e));
    }
    try {
      Map<String, Object> next = parsed(kafka, settings(a, a[4], a[7]));
      factory.getClass().getMethod("validateReconfiguration", Map.class).invoke(factory, next);
      return "{\"check\":" + PrincipalRules.json(id) + ",\"ok\":true}";
    } catch (Throwable e) {
      return verdict(id, "new", describe(e));
    } finally {
      try {
        factory.getClass().getMethod("close").invoke(factory);
      } catch (Throwable ignored) {
        // Closing frees nothing this short-lived JVM keeps.
      }
    }
  }

  private static String verdict(String id, String stage, String error) {
    return "{\"check\":" + PrincipalRules.json(id) + ",\"ok\":false,\"stage\":" + PrincipalRules.json(stage)
        + ",\"error\":" + PrincipalRules.json(error) + "}";
  }

  /**
   * new SslFactory(SERVER, "required", keystoreVerifiableUsingTruststore), as a broker makes one per listener. The
   * mode's enum is network.ConnectionMode from Kafka 3.9 on, network.Mode before.
   */
  private static Object newServerFactory(ClassLoader kafka, boolean inter) throws Exception {
    Class<?> mode;
    try {
      mode = Class.forName(PKG + "network.ConnectionMode", true, kafka);
    } catch (ClassNotFoundException e) {
      mode = Class.forName(PKG + "network.Mode", true, kafka);
    }
    Object server = mode.getMethod("valueOf", String.class).invoke(null, "SERVER");
    Class<?> factory = Class.forName(PKG + "security.ssl.SslFactory", true, kafka);
    Constructor<?> make = factory.getConstructor(mode, String.class, boolean.class);
    return make.newInstance(server, "required", inter);
  }

  /** The listener's settings as the broker gives them: the stores, their passwords, client auth required. */
  private static Map<String, String> settings(String[] a, String keystore, String truststore) {
    Map<String, String> s = new HashMap<>();
    s.put("ssl.keystore.location", keystore);
    s.put("ssl.keystore.type", a[5]);
    s.put("ssl.truststore.location", truststore);
    s.put("ssl.truststore.type", a[8]);
    putSecret(s, "ssl.keystore.password", a[9]);
    putSecret(s, "ssl.key.password", a[10]);
    putSecret(s, "ssl.truststore.password", a[11]);
    s.put("ssl.client.auth", "required");
    // A broker's listener checks no host name of its peers (its default since 2.0 is for clients).
    s.put("ssl.endpoint.identification.algorithm", "");
    if (a[12].contains("dn")) s.put("ssl.allow.dn.changes", "true");
    if (a[12].contains("san")) s.put("ssl.allow.san.changes", "true");
    return s;
  }

  private static void putSecret(Map<String, String> s, String key, String variable) {
    if (variable.equals("-")) return;
    String value = System.getenv(variable);
    if (value != null) s.put(key, value);
  }

  /**
   * The settings typed and defaulted by Kafka's own ConfigDef of the SSL settings (passwords as its Password), the
   * way a broker's KafkaConfig hands them to SslFactory.
   */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> parsed(ClassLoader kafka, Map<String, String> raw) throws Exception {
    Class<?> defClass = Class.forName(PKG + "config.ConfigDef", true, kafka);
    Object def = defClass.getConstructor().newInstance();
    Class<?> ssl = Class.forName(PKG + "config.SslConfigs", true, kafka);
    ssl.getMethod("addClientSslSupport", defClass).invoke(null, def);
    Map<String, Object> typed = (Map<String, Object>) defClass.getMethod("parse", Map.class).invoke(def, raw);
    Map<String, Object> all = new HashMap<>(typed);
    // What ConfigDef does not define here (ssl.client.auth, the allow flags) is passed on as text, as a broker's
    // listener settings carry them.
    for (Map.Entry<String, String> e : raw.entrySet()) all.putIfAbsent(e.getKey(), e.getValue());
    return all;
  }

  /** An exception as Kafka would log it: the cause's class and message, unwrapped from reflection. */
  private static String describe(Throwable e) {
    Throwable t = e;
    while (t instanceof InvocationTargetException && t.getCause() != null) t = t.getCause();
    StringBuilder b = new StringBuilder(message(t));
    // Kafka wraps what the JDK said ("Failed to load SSL keystore ..."): the JDK's reason is what to fix.
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      String m = message(c);
      if (b.indexOf(m) < 0) b.append(": ").append(m);
    }
    return b.toString();
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    return m != null && !m.isEmpty() ? m : t.getClass().getName();
  }
}
