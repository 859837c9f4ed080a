package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.inference.ModelMetadataRequest;
import io.vigil.schemas.inference.ModelMetadataResponse;
import io.vigil.schemas.inference.ModelReadyRequest;
import io.vigil.schemas.inference.ModelReadyResponse;
import io.vigil.schemas.inference.ServerLiveRequest;
import io.vigil.schemas.inference.ServerLiveResponse;
import io.vigil.schemas.inference.ServerMetadataRequest;
import io.vigil.schemas.inference.ServerMetadataResponse;
import io.vigil.schemas.inference.ServerReadyRequest;
import io.vigil.schemas.inference.ServerReadyResponse;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol v2 over gRPC ({@code inference.GRPCInferenceService}).
 *
 * <p>ModelInfer never blocks a handler thread on the model: the request is validated and decoded,
 * queued in the model's {@link DynamicBatcher}, and answered from the batcher's worker when its
 * batch is scored. Every answer is handed to the {@link PredictionSink}; with a shadow model the
 * same rows are queued there too, and its answers are only logged.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(InferenceService.class);
  public static final String SERVER_NAME = "vigil-serving";
  private static final int ACQUIRE_ATTEMPTS = 1_000;

  private final ModelManager models;
  private final PredictionSink sink;
  private final ServingMetrics metrics;
  private final int maxBatchRows;
  private final String serverVersion;
  private final Clock clock;
  private final String requestPrefix = "r" + Long.toString(System.currentTimeMillis(), 36) + "-";
  private final AtomicLong requestSeq = new AtomicLong();

  public InferenceService(ModelManager models, PredictionSink sink, ServingMetrics metrics,
      int maxBatchRows, String serverVersion, Clock clock) {
    this.models = requireNonNull(models, "models");
    this.sink = requireNonNull(sink, "sink");
    this.metrics = requireNonNull(metrics, "metrics");
    this.maxBatchRows = maxBatchRows;
    this.serverVersion = requireNonNull(serverVersion, "serverVersion");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply("ServerLive", System.nanoTime(), out, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    boolean ready = models.current(ModelManager.Role.PRIMARY).isPresent();
    reply("ServerReady", System.nanoTime(), out, ServerReadyResponse.newBuilder().setReady(ready).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply("ServerMetadata", System.nanoTime(), out, ServerMetadataResponse.newBuilder()
        .setName(SERVER_NAME).setVersion(serverVersion).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    long t0 = System.nanoTime();
    if (!request.getName().equals(models.modelName())) {
      fail("ModelReady", t0, out, notServed(request.getName()));
      return;
    }
    boolean ready = models.current(ModelManager.Role.PRIMARY)
        .map(m -> request.getVersion().isEmpty() || m.id().version().equals(request.getVersion()))
        .orElse(false);
    reply("ModelReady", t0, out, ModelReadyResponse.newBuilder().setReady(ready).build());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    long t0 = System.nanoTime();
    try {
      LoadedModel m = lookup(request.getName(), request.getVersion());
      reply("ModelMetadata", t0, out, InferResponses.metadata(m.id(), m.spec()));
    } catch (ServingException e) {
      fail("ModelMetadata", t0, out, e);
    }
  }

  /**
   * The service as the server binds it: ModelInfer answers in its wire form ({@link InferAnswer}:
   * encoded straight from the scores) and reads requests without a second copy of their raw
   * contents ({@link InferRequestDecoder#MARSHALLER}: the same message, the same errors), under the
   * same method name and schema (reflection lists it unchanged); the other methods as generated.
   * {@link #bindService()} (and {@link #modelInfer}) still give the plain generated form.
   */
  public ServerServiceDefinition serviceDefinition() {
    ServerServiceDefinition standard = bindService();
    MethodDescriptor<ModelInferRequest, ModelInferResponse> infer = GRPCInferenceServiceGrpc.getModelInferMethod();
    MethodDescriptor<ModelInferRequest, InferAnswer> encoded =
        infer.toBuilder(InferRequestDecoder.MARSHALLER, InferAnswer.MARSHALLER).build();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(GRPCInferenceServiceGrpc.SERVICE_NAME)
        .setSchemaDescriptor(standard.getServiceDescriptor().getSchemaDescriptor());
    for (MethodDescriptor<?, ?> m : standard.getServiceDescriptor().getMethods()) {
      descriptor.addMethod(m.getFullMethodName().equals(infer.getFullMethodName()) ? encoded : m);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> m : standard.getMethods()) {
      if (m.getMethodDescriptor().getFullMethodName().equals(infer.getFullMethodName())) {
        b.addMethod(encoded, ServerCalls.asyncUnaryCall(
            (ModelInferRequest request, StreamObserver<InferAnswer> out) -> infer(request, out, a -> a)));
      } else {
        b.addMethod(m);
      }
    }
    return b.build();
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    infer(request, out, InferAnswer::toMessage);
  }

  private <T> void infer(ModelInferRequest request, StreamObserver<T> out, Function<InferAnswer, T> form) {
    long t0 = System.nanoTime();
    ServerCallStreamObserver<T> call = (ServerCallStreamObserver<T>) out;
    Deadline deadline = Context.current().getDeadline();
    long deadlineNanos = deadline == null ? Long.MAX_VALUE
        : t0 + deadline.timeRemaining(TimeUnit.NANOSECONDS);
    if (deadline != null && deadline.isExpired()) {
      fail("ModelInfer", t0, out, new ServingException(ErrorCode.DEADLINE_EXCEEDED, "the deadline had passed on arrival"));
      return;
    }
    LoadedModel model;
    try {
      model = acquire(request.getModelName(), request.getModelVersion());
    } catch (ServingException e) {
      fail("ModelInfer", t0, out, e);
      return;
    }
    try {
      DecodedRequest decoded = InferRequestDecoder.decode(request, model.spec(), maxBatchRows);
      boolean logPrediction = InferRequestDecoder.logPrediction(request);
      Answer<T> answer = new Answer<>(request, call, form, model, decoded, logPrediction, deadline, t0,
          TraceContextInterceptor.current());
      call.setOnCancelHandler(answer);
      model.batcher().submit(logged(decoded.batch(), logPrediction), deadlineNanos, answer, answer);
    } catch (ServingException e) {
      model.release();
      fail("ModelInfer", t0, out, e);
    } catch (RuntimeException e) {
      model.release();
      fail("ModelInfer", t0, out, asServing(e));
    }
  }

  /**
   * One ModelInfer call waiting for its rows to be scored: answers it (on the batcher's worker),
   * and tells the batcher whether the caller is gone. One object per call instead of a flag, a
   * future and three lambdas.
   */
  private final class Answer<T> implements DynamicBatcher.Completion, BooleanSupplier, Runnable {
    private final ModelInferRequest request;
    private final ServerCallStreamObserver<T> out;
    private final Function<InferAnswer, T> form;
    private final LoadedModel model;
    private final DecodedRequest decoded;
    private final boolean logPrediction;
    private final Deadline deadline;
    private final long t0;
    /** The caller's trace context, passed on with the logged predictions (null: none). */
    private final TraceContextInterceptor.Trace trace;
    private volatile boolean cancelled;

    Answer(ModelInferRequest request, ServerCallStreamObserver<T> out, Function<InferAnswer, T> form,
        LoadedModel model, DecodedRequest decoded, boolean logPrediction, Deadline deadline, long t0,
        TraceContextInterceptor.Trace trace) {
      this.request = request;
      this.out = out;
      this.form = form;
      this.model = model;
      this.decoded = decoded;
      this.logPrediction = logPrediction;
      this.deadline = deadline;
      this.t0 = t0;
      this.trace = trace;
    }

    /** The caller cancelled (or its deadline passed): gRPC's cancel handler. */
    @Override
    public void run() {
      cancelled = true;
    }

    /** Whether the caller is gone, asked by the batcher before it runs the rows. */
    @Override
    public boolean getAsBoolean() {
      return cancelled;
    }

    private boolean gone() {
      if (!cancelled) {
        return false;
      }
      // the caller is gone (cancelled, or its deadline passed): nothing to answer
      boolean expired = deadline != null && deadline.isExpired();
      metrics.request("ModelInfer", (expired ? ErrorCode.DEADLINE_EXCEEDED : ErrorCode.CANCELLED).name(),
          System.nanoTime() - t0);
      return true;
    }

    @Override
    public void scored(ScoreBatch all, int from, int n) {
      model.release();
      if (gone()) {
        return;
      }
      T response;
      try {
        response = form.apply(InferAnswer.encode(model.answerTemplate(), request.getIdBytes(),
            decoded.outputs(), decoded.raw(), all, from, n));
      } catch (RuntimeException e) {
        fail("ModelInfer", t0, out, asServing(e));
        return;
      }
      long latencyMicros = (System.nanoTime() - t0) / 1_000;
      reply("ModelInfer", t0, out, response);
      if (logPrediction && sink != PredictionSink.NONE) {
        log(model, request.getId(), decoded, from == 0 && n == all.rows() ? all : all.slice(from, n),
            latencyMicros, false, trace);
      }
      shadow(request.getId(), decoded, trace);
    }

    @Override
    public void failed(ServingException error) {
      model.release();
      if (gone()) {
        return;
      }
      fail("ModelInfer", t0, out, error);
    }
  }

  /**
   * The rows as the batcher must score them: the prediction log keeps each row's attributions, so
   * a logged request needs them even when its answer leaves them out.
   */
  private FeatureBatch logged(FeatureBatch rows, boolean logPrediction) {
    return logPrediction && sink != PredictionSink.NONE ? withAttributions(rows) : rows;
  }

  private static FeatureBatch withAttributions(FeatureBatch rows) {
    return rows.attributions() ? rows : new FeatureBatch(rows.values(), rows.rows(), rows.cols(), true);
  }

  private void shadow(String requestId, DecodedRequest decoded, TraceContextInterceptor.Trace trace) {
    LoadedModel shadow = models.current(ModelManager.Role.SHADOW).orElse(null);
    if (shadow == null) {
      return;
    }
    if (shadow.spec().inputSize() != decoded.batch().cols() || !shadow.tryAcquire()) {
      metrics.shadowDropped();
      return;
    }
    long t0 = System.nanoTime();
    CompletableFuture<ScoreBatch> scored;
    try {
      // shadow answers are only logged, attributions included
      scored = shadow.batcher().submit(withAttributions(decoded.batch()), Long.MAX_VALUE, () -> false);
    } catch (ServingException e) {
      shadow.release();
      metrics.shadowDropped();
      return;
    }
    scored.whenComplete((scores, error) -> {
      shadow.release();
      if (error != null) {
        metrics.shadowDropped();
        LOG.debug("shadow scoring failed model={}: {}", shadow.id(), error.toString());
        return;
      }
      log(shadow, requestId, decoded, scores, (System.nanoTime() - t0) / 1_000, true, trace);
    });
  }

  private void log(LoadedModel model, String requestId, DecodedRequest req, ScoreBatch scores,
      long latencyMicros, boolean shadow, TraceContextInterceptor.Trace trace) {
    if (sink == PredictionSink.NONE) {
      return;
    }
    long now = clock.millis();
    int cols = scores.cols();
    String fallback = null;
    for (int r = 0; r < scores.rows(); r++) {
      String sampleId;
      if (!req.sampleIds().isEmpty()) {
        sampleId = req.sampleIds().get(r);
      } else {
        if (fallback == null) {
          fallback = requestId.isEmpty() ? requestPrefix + requestSeq.incrementAndGet() : requestId;
        }
        sampleId = scores.rows() == 1 ? fallback : fallback + "#" + r;
      }
      String entity = req.entities().isEmpty() ? "unknown" : req.entities().get(r);
      float[] attributions = null;
      if (scores.attributions() != null) {
        attributions = new float[cols];
        System.arraycopy(scores.attributions(), r * cols, attributions, 0, cols);
      }
      sink.offer(new PredictionEntry(model.id(), model.spec(), sampleId, entity,
          req.windowStartMillis(), req.windowEndMillis(), scores.scores()[r],
          scores.probability() == null ? null : scores.probability()[r], scores.uncertainty()[r],
          attributions, latencyMicros, now, shadow, trace == null ? null : trace.traceparent(),
          trace == null ? null : trace.tracestate()));
    }
  }

  /** The primary version for a request, marked in flight; retried across a swap. */
  private LoadedModel acquire(String name, String version) {
    for (int i = 0; i < ACQUIRE_ATTEMPTS; i++) {
      LoadedModel m = lookup(name, version);
      if (m.tryAcquire()) {
        return m;
      }
      Thread.onSpinWait();
    }
    throw new ServingException(ErrorCode.UNAVAILABLE, "the model is being swapped; retry");
  }

  private LoadedModel lookup(String name, String version) {
    if (!name.equals(models.modelName())) {
      throw notServed(name);
    }
    LoadedModel m = models.current(ModelManager.Role.PRIMARY).orElseThrow(() -> new ServingException(
        ErrorCode.UNAVAILABLE, "no version of model '" + name + "' is loaded yet; retry later"));
    if (!version.isEmpty() && !version.equals(m.id().version())) {
      throw new ServingException(ErrorCode.NOT_FOUND, "model '" + name + "' version '"
          + printable(version) + "' is not loaded; this server serves version " + m.id().version());
    }
    return m;
  }

  private ServingException notServed(String name) {
    return new ServingException(ErrorCode.NOT_FOUND, "model '" + printable(name)
        + "' is not served here; this server serves '" + models.modelName() + "'");
  }

  private static ServingException asServing(Throwable error) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof ServingException s) {
      return s;
    }
    LOG.error("unexpected failure while answering", e);
    return new ServingException(ErrorCode.INTERNAL, "internal error");
  }

  private <T> void reply(String method, long t0, StreamObserver<T> out, T response) {
    out.onNext(response);
    out.onCompleted();
    metrics.request(method, Status.Code.OK.name(), System.nanoTime() - t0);
  }

  private void fail(String method, long t0, StreamObserver<?> out, ServingException e) {
    metrics.request(method, e.code().name(), System.nanoTime() - t0);
    if (e.code() == ErrorCode.INTERNAL) {
      LOG.warn("{} failed: {}", method, e.getMessage());
    } else {
      LOG.debug("{} refused code={}: {}", method, e.code(), e.getMessage());
    }
    out.onError(e.code().toStatus(e.getMessage()).asRuntimeException());
  }

  private static String printable(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return t.replaceAll("[^\\x20-\\x7E]", "?");
  }
}
