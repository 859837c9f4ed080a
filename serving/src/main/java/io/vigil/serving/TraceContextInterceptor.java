package io.vigil.serving;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.vigil.schemas.TraceContext;

/**
 * Takes the caller's W3C trace context from the call's metadata ({@code traceparent}, {@code
 * tracestate}: what OpenTelemetry's gRPC instrumentation sends) into the call's {@link Context},
 * so that the predictions a call causes carry it on to the predictions topic as Kafka headers. A
 * malformed {@code traceparent} is dropped ({@link TraceContext#validTraceparent}); the call goes on
 * either way. Serving makes no spans of its own: it passes the caller's context on unchanged.
 */
final class TraceContextInterceptor implements ServerInterceptor {

  /** The caller's trace context, or null. */
  record Trace(String traceparent, String tracestate) {}

  static final Context.Key<Trace> TRACE = Context.key("vigil-trace-context");

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of(TraceContext.TRACEPARENT, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACESTATE =
      Metadata.Key.of(TraceContext.TRACESTATE, Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String parent = TraceContext.validTraceparent(headers.get(TRACEPARENT));
    if (parent == null) {
      return next.startCall(call, headers);
    }
    Trace trace = new Trace(parent, TraceContext.validTracestate(headers.get(TRACESTATE)));
    return Contexts.interceptCall(Context.current().withValue(TRACE, trace), call, headers, next);
  }

  /** The trace context of the call being handled on this thread, or null. */
  static Trace current() {
    return TRACE.get();
  }
}
