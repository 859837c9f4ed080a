package io.vigil.labeling.store;

import io.vigil.labeling.ApiException;
import io.vigil.labeling.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A filter over stored labels built only from allowlisted fields: each field maps to a fixed SQL
 * fragment, values are always bound parameters, and anything else is refused.
 */
public record LabelFilter(Map<String, String> equals, Long from, Long to, String sort,
    boolean descending, int limit) {

  /** Query parameter → column, for equality filters. */
  public static final Map<String, String> FIELDS = Map.of(
      "annotator", "annotator", "label", "label", "entity", "entity", "kind", "kind",
      "sampleId", "sample_id", "incidentId", "incident_id");
  /** Sortable fields → column. */
  public static final Map<String, String> SORTS = Map.of(
      "labeledAt", "seq", "annotator", "annotator", "entity", "entity", "label", "label");
  /** Every query parameter a label listing accepts. */
  public static final List<String> PARAMS = List.of(
      "annotator", "label", "entity", "kind", "sampleId", "incidentId", "from", "to", "sort",
      "order", "limit", "format");

  public LabelFilter {
    equals = Map.copyOf(equals);
    for (String k : equals.keySet()) {
      if (!FIELDS.containsKey(k)) {
        throw new ApiException(ErrorCode.BAD_FILTER, "cannot filter on '" + k + "'");
      }
    }
    if (sort != null && !SORTS.containsKey(sort)) {
      throw new ApiException(ErrorCode.BAD_FILTER, "cannot sort on '" + sort + "'; allowed: " + SORTS.keySet());
    }
    if (limit < 1 || limit > 100_000) {
      throw new ApiException(ErrorCode.BAD_FILTER, "limit must be in 1..100000");
    }
  }

  public static LabelFilter all() {
    return new LabelFilter(Map.of(), null, null, null, false, 100_000);
  }

  /** Parses query parameters; unknown parameters are refused. */
  public static LabelFilter parse(Map<String, List<String>> query) {
    Map<String, String> eq = new LinkedHashMap<>();
    Long from = null;
    Long to = null;
    String sort = null;
    boolean desc = false;
    int limit = 1000;
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      String k = e.getKey();
      if (!PARAMS.contains(k)) {
        throw new ApiException(ErrorCode.BAD_FILTER, "unknown filter '" + k + "'; allowed: " + PARAMS);
      }
      if (e.getValue().size() != 1) {
        throw new ApiException(ErrorCode.BAD_FILTER, "give '" + k + "' once");
      }
      String v = e.getValue().get(0);
      try {
        switch (k) {
          case "from" -> from = Long.parseLong(v);
          case "to" -> to = Long.parseLong(v);
          case "sort" -> sort = v;
          case "order" -> {
            if (!v.equals("asc") && !v.equals("desc")) {
              throw new ApiException(ErrorCode.BAD_FILTER, "order is asc or desc");
            }
            desc = v.equals("desc");
          }
          case "limit" -> limit = Integer.parseInt(v);
          case "format" -> { /* handled by the caller */ }
          default -> eq.put(k, v);
        }
      } catch (NumberFormatException nfe) {
        throw new ApiException(ErrorCode.BAD_FILTER, "'" + k + "' must be a number");
      }
    }
    return new LabelFilter(eq, from, to, sort, desc, limit);
  }

  /** The same filter restricted to one annotator's labels. */
  public LabelFilter onlyAnnotator(String annotator) {
    Map<String, String> eq = new LinkedHashMap<>(equals);
    eq.put("annotator", annotator);
    return new LabelFilter(eq, from, to, sort, descending, limit);
  }

  String whereSql(List<Object> params) {
    List<String> parts = new ArrayList<>();
    equals.forEach((k, v) -> {
      parts.add(FIELDS.get(k) + " = ?");
      params.add(v);
    });
    if (from != null) {
      parts.add("labeled_at >= ?");
      params.add(from);
    }
    if (to != null) {
      parts.add("labeled_at < ?");
      params.add(to);
    }
    return parts.isEmpty() ? "" : " WHERE " + String.join(" AND ", parts);
  }

  String orderSql() {
    String col = sort == null ? "seq" : SORTS.get(sort);
    return " ORDER BY " + col + (descending ? " DESC" : " ASC") + ", seq";
  }
}
