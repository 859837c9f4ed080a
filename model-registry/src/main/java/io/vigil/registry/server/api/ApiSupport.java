package io.vigil.registry.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.vigil.registry.server.ErrorCode;
import io.vigil.registry.server.MlflowException;
import java.util.regex.Pattern;

/** What every route needs: parameters, JSON output, the acting user, bounded page sizes. */
public final class ApiSupport {

  /** Request attribute holding the authenticated user, set by the auth filter. */
  public static final String USER_ATTRIBUTE = "vigil.user";
  public static final String ACTOR_HEADER = "X-Vigil-Actor";
  public static final String REASON_HEADER = "X-Vigil-Reason";
  private static final Pattern ACTOR = Pattern.compile("[\\p{L}\\p{N}_.@:+ -]{1,256}");

  private final ObjectMapper mapper;
  private final int maxResultsLimit;

  public ApiSupport(ObjectMapper mapper, int maxResultsLimit) {
    this.mapper = mapper;
    this.maxResultsLimit = maxResultsLimit;
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  public Params params(Context ctx) {
    return Params.of(mapper, ctx.queryParamMap(), ctx.body());
  }

  public void json(Context ctx, JsonNode body) {
    try {
      ctx.contentType("application/json").result(mapper.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new MlflowException(ErrorCode.INTERNAL_ERROR, "cannot render the response", e);
    }
  }

  /**
   * Who is acting: the authenticated user if any, else the {@code X-Vigil-Actor} header, else the
   * request's {@code actor} field, else "anonymous".
   */
  public String actor(Context ctx, Params p) {
    Object user = ctx.attribute(USER_ATTRIBUTE);
    if (user != null) {
      return user.toString();
    }
    String header = ctx.header(ACTOR_HEADER);
    String actor = header != null && !header.isBlank() ? header : p.optString("actor");
    if (actor == null || actor.isBlank()) {
      return "anonymous";
    }
    if (!ACTOR.matcher(actor).matches()) {
      throw MlflowException.invalid("Invalid actor: letters, digits, '_.@:+ -' only, at most 256");
    }
    return actor;
  }

  /** {@code max_results}, defaulting to {@code dflt} (capped at the limit), rejected above the limit. */
  public int maxResults(Params p, int dflt) {
    Long v = p.optLong("max_results");
    if (v == null || v == 0) {
      return Math.min(dflt, maxResultsLimit);
    }
    if (v < 0) {
      throw MlflowException.invalid("Invalid value " + v + " for parameter 'max_results': must be positive");
    }
    if (v > maxResultsLimit) {
      throw MlflowException.invalid("Invalid value " + v + " for parameter 'max_results' supplied."
          + " It must be at most " + maxResultsLimit);
    }
    return v.intValue();
  }

  /** A name (model, experiment, tag key): non-empty, bounded, no control characters. */
  public static String checkName(String what, String value, int maxLength) {
    if (value == null || value.isEmpty()) {
      throw MlflowException.invalid("Missing value for required parameter '" + what + "'.");
    }
    if (value.length() > maxLength) {
      throw MlflowException.invalid("'" + what + "' exceeds the maximum length of " + maxLength);
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        throw MlflowException.invalid("'" + what + "' must not contain control characters");
      }
    }
    return value;
  }

  public static int version(String value) {
    try {
      int v = Integer.parseInt(value);
      if (v < 1) {
        throw MlflowException.invalid("Model version must be a positive integer: '" + value + "'");
      }
      return v;
    } catch (NumberFormatException e) {
      throw MlflowException.invalid("Model version must be an integer: '" + value + "'");
    }
  }
}
