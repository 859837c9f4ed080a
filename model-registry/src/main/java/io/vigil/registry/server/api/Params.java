package io.vigil.registry.server.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.registry.server.ErrorCode;
import io.vigil.registry.server.MlflowException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of one request: the JSON body merged over the query string, as MLflow clients
 * send GET parameters in the query and everything else in a JSON body (proto3 JSON: int64 may be a
 * string or a number).
 */
public final class Params {

  private final ObjectNode values;
  private final Map<String, List<String>> query;

  private Params(ObjectNode values, Map<String, List<String>> query) {
    this.values = requireNonNull(values, "values");
    this.query = requireNonNull(query, "query");
  }

  public static Params of(ObjectMapper mapper, Map<String, List<String>> query, String body) {
    ObjectNode values = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, List<String>> e : query.entrySet()) {
      if (!e.getValue().isEmpty()) {
        values.put(e.getKey(), e.getValue().get(0));
      }
    }
    if (body != null && !body.isBlank()) {
      JsonNode parsed;
      try {
        parsed = mapper.readTree(body);
      } catch (JsonProcessingException e) {
        throw new MlflowException(ErrorCode.MALFORMED_REQUEST, "Malformed request: the body is not valid JSON");
      }
      if (!(parsed instanceof ObjectNode obj)) {
        throw new MlflowException(ErrorCode.MALFORMED_REQUEST, "Malformed request: the body must be a JSON object");
      }
      obj.properties().forEach(f -> values.set(f.getKey(), f.getValue()));
    }
    return new Params(values, Map.copyOf(query));
  }

  public boolean has(String name) {
    JsonNode n = values.get(name);
    return n != null && !n.isNull();
  }

  public String string(String name) {
    String v = optString(name);
    if (v == null || v.isEmpty()) {
      throw MlflowException.invalid("Missing value for required parameter '" + name + "'.");
    }
    return v;
  }

  /** A string value, or null if absent. */
  public String optString(String name) {
    JsonNode n = values.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isContainerNode()) {
      throw MlflowException.invalid("Invalid value for parameter '" + name + "': expected a string.");
    }
    return n.asText();
  }

  /** The first non-empty of several parameter names (e.g. run_id / run_uuid). */
  public String firstString(String... names) {
    for (String n : names) {
      String v = optString(n);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    throw MlflowException.invalid("Missing value for required parameter '" + names[0] + "'.");
  }

  public Long optLong(String name) {
    JsonNode n = values.get(name);
    if (n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty())) {
      return null;
    }
    if (n.isIntegralNumber()) {
      return n.asLong();
    }
    if (n.isTextual()) {
      try {
        return Long.parseLong(n.asText().trim());
      } catch (NumberFormatException e) {
        throw MlflowException.invalid("Invalid value '" + n.asText() + "' for parameter '" + name + "': expected an integer.");
      }
    }
    throw MlflowException.invalid("Invalid value for parameter '" + name + "': expected an integer.");
  }

  public long longValue(String name) {
    Long v = optLong(name);
    if (v == null) {
      throw MlflowException.invalid("Missing value for required parameter '" + name + "'.");
    }
    return v;
  }

  public Double optDouble(String name) {
    JsonNode n = values.get(name);
    if (n == null || n.isNull()) {
      return null;
    }
    return toDouble(n, name);
  }

  static double toDouble(JsonNode n, String name) {
    if (n.isNumber()) {
      return n.asDouble();
    }
    if (n.isTextual()) {
      String s = n.asText().trim();
      switch (s) {
        case "NaN": return Double.NaN;
        case "Infinity": return Double.POSITIVE_INFINITY;
        case "-Infinity": return Double.NEGATIVE_INFINITY;
        default:
          try {
            return Double.parseDouble(s);
          } catch (NumberFormatException e) {
            throw MlflowException.invalid("Invalid value '" + s + "' for parameter '" + name + "': expected a number.");
          }
      }
    }
    throw MlflowException.invalid("Invalid value for parameter '" + name + "': expected a number.");
  }

  public boolean bool(String name) {
    JsonNode n = values.get(name);
    if (n == null || n.isNull()) {
      return false;
    }
    if (n.isBoolean()) {
      return n.asBoolean();
    }
    String s = n.asText();
    if ("true".equalsIgnoreCase(s)) {
      return true;
    }
    if ("false".equalsIgnoreCase(s) || s.isEmpty()) {
      return false;
    }
    throw MlflowException.invalid("Invalid value '" + s + "' for parameter '" + name + "': expected a boolean.");
  }

  /** A repeated string: a JSON array, or one or more query parameters. */
  public List<String> strings(String name) {
    JsonNode n = values.get(name);
    if (n != null && n.isArray()) {
      List<String> out = new ArrayList<>();
      n.forEach(e -> out.add(e.asText()));
      return out;
    }
    List<String> q = query.get(name);
    if (q != null) {
      return List.copyOf(q);
    }
    if (n != null && !n.isNull()) {
      return List.of(n.asText());
    }
    return List.of();
  }

  /** A repeated {key, value} message as an ordered map. */
  public Map<String, String> keyValues(String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode e : objects(name)) {
      JsonNode k = e.get("key");
      if (k == null || k.asText().isEmpty()) {
        throw MlflowException.invalid("Missing value for required parameter '" + name + ".key'.");
      }
      JsonNode v = e.get("value");
      out.put(k.asText(), v == null || v.isNull() ? "" : v.asText());
    }
    return out;
  }

  /** A repeated message. */
  public List<JsonNode> objects(String name) {
    JsonNode n = values.get(name);
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw MlflowException.invalid("Invalid value for parameter '" + name + "': expected a list.");
    }
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isObject()) {
        throw MlflowException.invalid("Invalid value for parameter '" + name + "': expected objects.");
      }
      out.add(e);
    }
    return out;
  }
}
