import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import javax.security.auth.x500.X500Principal;

/**
 * Kafka's ssl.principal.mapping.rules ("Customizing SSL User Name" in Kafka's
 * security documentation), evaluated on java.util.regex, the engine Kafka
 * runs them on: JavaScript's RegExp has no possessive quantifiers, no \A \z
 * or \Q..\E, and another replacement syntax.
 *
 * Grammar: a comma-separated list of DEFAULT, RULE:pattern/replacement/,
 * RULE:pattern/replacement/L and RULE:pattern/replacement/U, with whitespace
 * around the commas; a backslash escapes the next character (so \/ is a slash
 * inside a pattern or a replacement) and stays in the text Java receives.
 * Items with nothing between their commas are skipped, and an empty list has
 * no rules at all, as Kafka reads them. A rule maps a name when its pattern
 * matches the whole name: the name's replaceAll with the replacement (Java's
 * $n, ${name} and \ escapes), then lower- or upper-cased (Locale.ENGLISH)
 * for L or U. DEFAULT gives the name unchanged. When no rule applies Kafka
 * refuses the principal (its NoMatchingRule).
 *
 * Kafka fails at two moments, and so does this: a list it cannot read or a
 * pattern that does not compile stops the broker when it reads its config;
 * a bad group reference in a replacement fails only when a connection's name
 * is mapped, and only for the names that reach that rule.
 *
 * Arguments: the rules text, then distinguished names. Each is read as an
 * X500Principal and mapped in the form Kafka maps, X500Principal.getName()
 * (RFC 2253: "CN=a,O=b" without spaces, emailAddress as its OID and hex).
 * Output, one JSON object per line:
 *   {"rules":"ok","count":N} or {"rules":"error","error":"..."} (and nothing else),
 *   then per name {"dn":"...","name":"...","principal":"..."}, {"dn":"...","name":"...","noRule":true},
 *   or {"dn":"...","name":"...","error":"..."} ("name" missing when the DN is not one).
 */
public final class PrincipalRules {
  private PrincipalRules() {}

  /** One rule; DEFAULT has no pattern. */
  static final class Rule {
    final Pattern pattern;
    final String replacement;
    /** 'L', 'U', or 0 for the case the replacement gives. */
    final char toCase;

    Rule(Pattern pattern, String replacement, char toCase) {
      this.pattern = pattern;
      this.replacement = replacement;
      this.toCase = toCase;
    }
  }

  /** A rule list Kafka would refuse when it reads its config. */
  static final class RulesError extends Exception {
    RulesError(String message) {
      super(message);
    }
  }

  static int run(String[] args) {
    if (args.length == 0) {
      System.out.println("{\"rules\":\"error\",\"error\":\"no rules were given\"}");
      return 2;
    }
    List<Rule> rules;
    try {
      rules = parse(args[0]);
    } catch (RulesError e) {
      System.out.println("{\"rules\":\"error\",\"error\":" + json(e.getMessage()) + "}");
      return 0;
    }
    System.out.println("{\"rules\":\"ok\",\"count\":" + rules.size() + "}");
    for (int i = 1; i < args.length; i++) System.out.println(verdict(rules, args[i]));
    return 0;
  }

  private static String verdict(List<Rule> rules, String dn) {
    String head = "{\"dn\":" + json(dn);
    String name;
    try {
      name = new X500Principal(dn).getName();
    } catch (IllegalArgumentException e) {
      return head + ",\"error\":" + json("not a distinguished name: " + e.getMessage()) + "}";
    }
    head += ",\"name\":" + json(name);
    try {
      String principal = map(rules, name);
      return principal == null ? head + ",\"noRule\":true}" : head + ",\"principal\":" + json(principal) + "}";
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      // Matcher.appendReplacement's own words: "Illegal group reference", "No group 3", "No group with name {x}".
      return head + ",\"error\":" + json(e.getMessage() == null ? e.toString() : e.getMessage()) + "}";
    } catch (StackOverflowError e) {
      // A pattern that backtracks deeply on a long name: Kafka's thread would fail the same way.
      return head + ",\"error\":" + json("the pattern overflowed Java's stack on this name") + "}";
    }
  }

  /** The principal the first applying rule gives, or null when none applies. */
  static String map(List<Rule> rules, String name) {
    for (Rule r : rules) {
      if (r.pattern == null) return name;
      Matcher m = r.pattern.matcher(name);
      if (!m.matches()) continue;
      // replaceAll, not the one match: a pattern that also matches the empty string at the end (".*") replaces
      // twice, and one that matches a shorter prefix first ("a|ab") replaces that, as in Kafka.
      String out = m.replaceAll(keepMissingGroupsLiteral(r.replacement, m.groupCount()));
      if (r.toCase == 'L') return out.toLowerCase(Locale.ENGLISH);
      if (r.toCase == 'U') return out.toUpperCase(Locale.ENGLISH);
      return out;
    }
    return null;
  }

  /**
   * Kafka keeps a $n that names a group the pattern does not have as text ("$3" with one group gives "$3")
   * where Java's replaceAll would throw "No group 3". Seen on kafka-clients 3.9.1; the details follow it: the
   * group number is read as Java reads it (the longest prefix of the digits that is a group), $0... is left to
   * Java, a backslash before the $ is not looked at (so "\$3" becomes "\\$3", and Java's "No group 3"), and a
   * pattern without groups keeps every $n for Java to refuse. Kafka's own pass misplaces the backslash from the
   * second missing group on; this inserts each where it belongs.
   */
  static String keepMissingGroupsLiteral(String replacement, int groups) {
    if (groups == 0) return replacement;
    StringBuilder out = new StringBuilder(replacement.length() + 4);
    int i = 0;
    while (i < replacement.length()) {
      char c = replacement.charAt(i);
      if (c != '$' || i + 1 >= replacement.length() || !isDigit(replacement.charAt(i + 1))) {
        out.append(c);
        i++;
        continue;
      }
      int end = i + 1;
      while (end < replacement.length() && isDigit(replacement.charAt(end))) end++;
      int group = replacement.charAt(i + 1) - '0';
      for (int j = i + 2; j < end; j++) {
        int longer = group * 10 + (replacement.charAt(j) - '0');
        if (longer > groups) break;
        group = longer;
      }
      if (replacement.charAt(i + 1) != '0' && group > groups) out.append('\\');
      out.append(replacement, i, end);
      i = end;
    }
    return out.toString();
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static List<Rule> parse(String text) throws RulesError {
    List<Rule> rules = new ArrayList<>();
    int i = 0;
    while (true) {
      i = skipSpace(text, i);
      if (i == text.length()) return rules;
      if (text.charAt(i) == ',') {
        i++;
        continue;
      }
      if (text.startsWith("DEFAULT", i)) {
        rules.add(new Rule(null, null, (char) 0));
        i += "DEFAULT".length();
      } else if (text.startsWith("RULE:", i)) {
        int from = i + "RULE:".length();
        int slash = part(text, from);
        int last = slash < 0 ? -1 : part(text, slash + 1);
        if (last < 0) throw unreadable(text, i);
        char toCase = 0;
        i = last + 1;
        if (i < text.length() && (text.charAt(i) == 'L' || text.charAt(i) == 'U')) toCase = text.charAt(i++);
        rules.add(new Rule(compile(text.substring(from, slash)), text.substring(slash + 1, last), toCase));
      } else {
        throw unreadable(text, i);
      }
      i = skipSpace(text, i);
      if (i < text.length() && text.charAt(i) != ',') throw unreadable(text, i);
    }
  }

  /** Where a pattern or replacement starting at `from` ends (its unescaped slash), or -1 when none does. */
  private static int part(String text, int from) {
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') i++;
      else if (c == '/') return i;
    }
    return -1;
  }

  private static Pattern compile(String pattern) throws RulesError {
    try {
      return Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new RulesError("has a pattern Java cannot compile, " + pattern + ": " + e.getDescription()
          + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
    }
  }

  private static RulesError unreadable(String text, int at) {
    return new RulesError("must be DEFAULT or RULE:pattern/replacement/[L|U], separated by commas; cannot read from \""
        + text.substring(at) + "\"");
  }

  /** Java's \s, what Kafka allows around its commas. */
  private static int skipSpace(String text, int i) {
    while (i < text.length() && " \t\n\u000B\f\r".indexOf(text.charAt(i)) >= 0) i++;
    return i;
  }

  /** A JSON string; everything outside printable ASCII as \\uXXXX, so a lone surrogate survives too. */
  static String json(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c >= 0x20 && c < 0x7f) b.append(c);
      else b.append(String.format("\\u%04x", (int) c));
    }
    return b.append('"').toString();
  }
}
