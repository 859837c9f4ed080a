package io.vigil.registry.server.api;

import static java.util.Objects.requireNonNull;

import io.vigil.registry.server.MlflowException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * MLflow search filters and order-by clauses, evaluated in memory: conjunctions ({@code AND}) of
 * {@code [entity.]key OP value} where OP is one of {@code = != <> < <= > >= LIKE ILIKE IN NOT IN},
 * values are quoted strings, numbers or parenthesised lists, and keys may be quoted with backticks
 * or double quotes ({@code metrics.`my key`}). Entities: {@code metrics params tags attributes}
 * (and their singular forms); none means an attribute.
 */
public final class SearchFilter {

  /** One comparison. {@code value} is a String, a Double, or a List of Strings. */
  public record Clause(String entity, String key, String op, Object value) {}

  /** One ordering key. */
  public record Order(String entity, String key, boolean ascending) {}

  private final List<Clause> clauses;

  private SearchFilter(List<Clause> clauses) {
    this.clauses = List.copyOf(clauses);
  }

  public List<Clause> clauses() {
    return clauses;
  }

  public static SearchFilter parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return new SearchFilter(List.of());
    }
    Lexer lx = new Lexer(filter);
    List<Clause> out = new ArrayList<>();
    while (true) {
      String[] ident = lx.identifier();
      String op = lx.operator();
      Object value;
      if (op.equals("IN") || op.equals("NOT IN")) {
        value = lx.list();
      } else {
        value = lx.value();
      }
      out.add(new Clause(ident[0], ident[1], op, value));
      if (lx.atEnd()) {
        break;
      }
      String and = lx.word();
      if (!"AND".equalsIgnoreCase(and)) {
        throw MlflowException.invalid("Invalid filter '" + filter + "': expected AND, got '" + and + "'");
      }
    }
    return new SearchFilter(out);
  }

  /**
   * True if every clause holds. {@code lookup(entity, key)} returns the attribute's value (String,
   * Number) or null if it has none; it throws INVALID_PARAMETER_VALUE for unknown entities/keys.
   */
  public boolean matches(BiFunction<String, String, Object> lookup) {
    for (Clause c : clauses) {
      if (!holds(c, lookup.apply(c.entity(), c.key()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean holds(Clause c, Object actual) {
    if (actual == null) {
      return false;
    }
    switch (c.op()) {
      case "IN":
      case "NOT IN": {
        @SuppressWarnings("unchecked")
        List<String> list = (List<String>) c.value();
        boolean in = list.contains(actual instanceof Number n ? format(n) : actual.toString());
        return c.op().equals("IN") == in;
      }
      case "LIKE":
        return like(actual.toString(), c.value().toString(), false);
      case "ILIKE":
        return like(actual.toString(), c.value().toString(), true);
      default:
        break;
    }
    int cmp;
    if (actual instanceof Number a) {
      double expected;
      if (c.value() instanceof Double d) {
        expected = d;
      } else {
        try {
          expected = Double.parseDouble(c.value().toString());
        } catch (NumberFormatException e) {
          throw MlflowException.invalid("Invalid filter: '" + c.key() + "' is numeric, '" + c.value() + "' is not");
        }
      }
      cmp = Double.compare(a.doubleValue(), expected);
    } else {
      String expected = c.value() instanceof Double d ? format(d) : c.value().toString();
      cmp = actual.toString().compareTo(expected);
    }
    switch (c.op()) {
      case "=": return cmp == 0;
      case "!=": return cmp != 0;
      case "<": return cmp < 0;
      case "<=": return cmp <= 0;
      case ">": return cmp > 0;
      case ">=": return cmp >= 0;
      default: throw MlflowException.invalid("Invalid filter operator '" + c.op() + "'");
    }
  }

  private static String format(Number n) {
    double d = n.doubleValue();
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  private static boolean like(String actual, String pattern, boolean ignoreCase) {
    StringBuilder re = new StringBuilder();
    for (char ch : pattern.toCharArray()) {
      if (ch == '%') {
        re.append(".*");
      } else if (ch == '_') {
        re.append('.');
      } else {
        re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    Pattern p = Pattern.compile(re.toString(), ignoreCase ? Pattern.CASE_INSENSITIVE | Pattern.DOTALL : Pattern.DOTALL);
    return p.matcher(actual).matches();
  }

  /** Parses order_by clauses such as {@code metrics.rmse DESC} or {@code name ASC}. */
  public static List<Order> orders(List<String> orderBy) {
    List<Order> out = new ArrayList<>();
    for (String clause : orderBy) {
      if (clause == null || clause.isBlank()) {
        continue;
      }
      Lexer lx = new Lexer(clause);
      String[] ident = lx.identifier();
      boolean asc = true;
      if (!lx.atEnd()) {
        String dir = lx.word().toUpperCase(Locale.ROOT);
        if (dir.equals("DESC")) {
          asc = false;
        } else if (!dir.equals("ASC")) {
          throw MlflowException.invalid("Invalid order_by clause '" + clause + "'");
        }
      }
      if (!lx.atEnd()) {
        throw MlflowException.invalid("Invalid order_by clause '" + clause + "'");
      }
      out.add(new Order(ident[0], ident[1], asc));
    }
    return out;
  }

  /** A comparator over values looked up per order; nulls sort last. */
  public static <T> Comparator<T> comparator(List<Order> orders,
      BiFunction<T, Order, Object> lookup, Comparator<T> tieBreak) {
    Comparator<T> cmp = (a, b) -> 0;
    for (Order o : orders) {
      Comparator<T> one = (a, b) -> {
        Object x = lookup.apply(a, o);
        Object y = lookup.apply(b, o);
        if (x == null || y == null) {
          return x == null ? (y == null ? 0 : 1) : -1;
        }
        int r = x instanceof Number nx && y instanceof Number ny
            ? Double.compare(nx.doubleValue(), ny.doubleValue())
            : x.toString().compareTo(y.toString());
        return o.ascending() ? r : -r;
      };
      cmp = cmp.thenComparing(one);
    }
    return cmp.thenComparing(tieBreak);
  }

  private static final class Lexer {
    private final String s;
    private int i;

    Lexer(String s) {
      this.s = requireNonNull(s, "s");
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    boolean atEnd() {
      skip();
      return i >= s.length();
    }

    private MlflowException error(String what) {
      return MlflowException.invalid("Invalid filter '" + s + "': " + what + " at position " + i);
    }

    String word() {
      skip();
      int start = i;
      while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
        i++;
      }
      if (start == i) {
        throw error("expected a word");
      }
      return s.substring(start, i);
    }

    private String quoted(char q) {
      i++;
      StringBuilder b = new StringBuilder();
      while (i < s.length() && s.charAt(i) != q) {
        b.append(s.charAt(i++));
      }
      if (i >= s.length()) {
        throw error("unterminated quote");
      }
      i++;
      return b.toString();
    }

    /** entity and key: {@code metrics.rmse}, {@code tags.`a b`}, {@code name}. */
    String[] identifier() {
      skip();
      if (i >= s.length()) {
        throw error("expected an identifier");
      }
      String first = readPart();
      if (i < s.length() && s.charAt(i) == '.') {
        i++;
        String key = readPart();
        return new String[] {first.toLowerCase(Locale.ROOT), key};
      }
      return new String[] {"attributes", first};
    }

    private String readPart() {
      char ch = s.charAt(i);
      if (ch == '`' || ch == '"') {
        return quoted(ch);
      }
      int start = i;
      while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_'
          || s.charAt(i) == '-' || s.charAt(i) == '/' || s.charAt(i) == ':')) {
        i++;
      }
      if (start == i) {
        throw error("expected an identifier");
      }
      return s.substring(start, i);
    }

    String operator() {
      skip();
      for (String op : new String[] {"!=", "<>", "<=", ">=", "=", "<", ">"}) {
        if (s.startsWith(op, i)) {
          i += op.length();
          return op.equals("<>") ? "!=" : op;
        }
      }
      String w = word().toUpperCase(Locale.ROOT);
      if (w.equals("NOT")) {
        String next = word().toUpperCase(Locale.ROOT);
        if (next.equals("IN")) {
          return "NOT IN";
        }
        throw error("expected IN after NOT");
      }
      if (w.equals("LIKE") || w.equals("ILIKE") || w.equals("IN")) {
        return w;
      }
      throw error("unknown operator '" + w + "'");
    }

    Object value() {
      skip();
      if (i >= s.length()) {
        throw error("expected a value");
      }
      char ch = s.charAt(i);
      if (ch == '\'' || ch == '"') {
        return quoted(ch);
      }
      int start = i;
      while (i < s.length() && "+-.0123456789eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      try {
        return Double.parseDouble(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw error("expected a quoted string or a number");
      }
    }

    List<String> list() {
      skip();
      if (i >= s.length() || s.charAt(i) != '(') {
        throw error("expected '('");
      }
      i++;
      List<String> out = new ArrayList<>();
      while (true) {
        Object v = value();
        out.add(v instanceof Double d ? format(d) : v.toString());
        skip();
        if (i < s.length() && s.charAt(i) == ',') {
          i++;
          continue;
        }
        if (i < s.length() && s.charAt(i) == ')') {
          i++;
          return out;
        }
        throw error("expected ',' or ')'");
      }
    }
  }
}
