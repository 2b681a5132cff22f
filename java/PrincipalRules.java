/** Kafka's ssl.principal.mapping.rules on java.util.regex: filled in by the principal work. */
public final class PrincipalRules {
  private PrincipalRules() {}

  static int run(String[] args) {
    System.out.println("{\"error\":\"not implemented\"}");
    return 1;
  }
}
