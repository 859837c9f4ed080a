package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthGrpc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

/**
 * Bearer-token authentication of every gRPC call ({@code authorization: Bearer <token>}), except
 * gRPC health (probes carry no token) and server reflection (it describes the protocol only).
 * Calls without a token or with an unknown one end with {@code UNAUTHENTICATED} before any handler
 * runs. Tokens are compared in constant time.
 */
public final class BearerTokenInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PREFIX = "Bearer ";
  private static final Set<String> OPEN_SERVICES = Set.of(HealthGrpc.SERVICE_NAME,
      "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection");

  private final List<byte[]> tokens;
  private final ServingMetrics metrics;

  public BearerTokenInterceptor(List<String> tokens, ServingMetrics metrics) {
    requireNonNull(tokens, "tokens");
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException("at least one token");
    }
    this.tokens = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    this.metrics = requireNonNull(metrics, "metrics");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String service = call.getMethodDescriptor().getServiceName();
    if (service != null && OPEN_SERVICES.contains(service)) {
      return next.startCall(call, headers);
    }
    String value = headers.get(AUTHORIZATION);
    ErrorCode refused = null;
    String why = null;
    if (value == null || !value.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      refused = ErrorCode.UNAUTHENTICATED;
      why = "this server needs an 'authorization: Bearer <token>' header";
    } else if (!known(value.substring(PREFIX.length()).trim())) {
      refused = ErrorCode.UNAUTHENTICATED;
      why = "the bearer token is not valid";
    }
    if (refused == null) {
      return next.startCall(call, headers);
    }
    metrics.request(call.getMethodDescriptor().getBareMethodName(), refused.name(), 0);
    call.close(refused.toStatus(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private boolean known(String token) {
    byte[] given = token.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (byte[] t : tokens) {
      ok |= MessageDigest.isEqual(t, given);
    }
    return ok;
  }
}
