package io.vigil.labeling.web;

import java.util.List;

/** CSV (RFC 4180) with spreadsheet-formula neutralisation: a cell starting =, +, -, @ gets a '. */
final class Csv {

  private Csv() {}

  static String row(List<?> cells) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(cell(cells.get(i)));
    }
    return b.append("\r\n").toString();
  }

  static String cell(Object o) {
    if (o == null) {
      return "";
    }
    String s = o.toString();
    if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0 && !(o instanceof Number)) {
      s = "'" + s;
    }
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      s = "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
