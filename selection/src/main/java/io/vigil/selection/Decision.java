package io.vigil.selection;

/** Whether to ask about a window, why, and how urgently (higher first). */
public record Decision(boolean ask, QueryKind kind, double priority) {

  public static final Decision NO = new Decision(false, null, 0);

  public static Decision ask(QueryKind kind, double priority) {
    return new Decision(true, kind, priority);
  }
}
