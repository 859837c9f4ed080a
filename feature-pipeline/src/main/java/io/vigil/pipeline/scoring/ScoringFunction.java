package io.vigil.pipeline.scoring;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TraceContext;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.streamio.RecordHeaders;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores each feature vector with one {@code ModelInfer} call to the serving process over this
 * subtask's own gRPC channel, and never loses a vector:
 *
 * <ul>
 *   <li>transient failures (server away, overloaded, too slow: see {@link FailureKind}) are
 *       retried forever with capped exponential backoff;
 *   <li>a {@link CircuitBreaker} opens after {@code failureThreshold} consecutive failures; while
 *       it is open calls <em>wait</em> (they do not fail), then one probe goes; its success closes
 *       the circuit. Waiting calls hold their slot of the async operator, so once {@code
 *       async.capacity} are waiting, backpressure stops the Kafka source;
 *   <li>the async operator's own timeout is only a watchdog: when it fires the vector is counted
 *       and logged and its retries go on; it is never completed with an error or dropped;
 *   <li>only a vector the server refuses for good ({@link FailureKind#PERMANENT}, or {@link
 *       FailureKind#SERVER_ERROR} more than {@code retry.maxInternalRetries} times) becomes a
 *       dead letter, with the status and message.
 * </ul>
 *
 * <p>The calls in flight are part of the async operator's checkpointed state: after a failover they
 * are sent again, and the exactly-once sink keeps one prediction per vector.
 *
 * <p>Metrics (operator group {@code scoring}): {@code retries}, {@code circuitOpened}, {@code
 * serverErrors}, {@code refused} (vectors dead-lettered here), {@code stuck} (watchdog fired),
 * gauge {@code circuitState} (0 closed, 1 open, 2 half-open).
 */
public final class ScoringFunction extends RichAsyncFunction<ScoringInput, ScoringOutcome> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ScoringFunction.class);

  /** Stage named in dead letters written for refused vectors. */
  public static final String STAGE = "scoring/infer";
  /** Backoff waits are shortened by up to this fraction at random. */
  static final double JITTER = 0.2;

  private final ScoringJobConfig.Serving serving;
  private final ScoringJobConfig.Async async;
  private final ScoringJobConfig.Retry retry;
  private final ScoringJobConfig.CircuitBreakerSettings circuit;
  private final PredictionAttributions attributions;

  private transient ManagedChannel channel;
  private transient GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
  private transient ScheduledExecutorService scheduler;
  private transient CircuitBreaker breaker;
  private transient Backoff backoff;
  private transient Counter retries;
  private transient Counter circuitOpened;
  private transient Counter serverErrors;
  private transient Counter refused;
  private transient Counter stuck;
  private transient volatile boolean closing;

  ScoringFunction(ScoringJobConfig cfg, PredictionAttributions attributions) {
    requireNonNull(cfg, "cfg");
    this.serving = cfg.serving();
    this.async = cfg.async();
    this.retry = cfg.retry();
    this.circuit = cfg.circuitBreaker();
    this.attributions = requireNonNull(attributions, "attributions");
  }

  @Override
  public void open(OpenContext ctx) {
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    MetricGroup g = getRuntimeContext().getMetricGroup().addGroup("scoring");
    retries = g.counter("retries");
    circuitOpened = g.counter("circuitOpened");
    serverErrors = g.counter("serverErrors");
    refused = g.counter("refused");
    stuck = g.counter("stuck");
    breaker = new CircuitBreaker(circuit.failureThreshold(), circuit.openDuration(),
        probeTimeout(async), System::nanoTime, new CircuitBreaker.Listener() {
          @Override
          public void opened(int consecutiveFailures) {
            circuitOpened.inc();
            LOG.warn("circuit to serving {} opened after {} consecutive failures; calls wait {} before a probe",
                serving.target(), consecutiveFailures, circuit.openDuration());
          }

          @Override
          public void closed() {
            LOG.info("circuit to serving {} closed: serving answers again", serving.target());
          }
        });
    g.gauge("circuitState", () -> breaker.state().ordinal());
    backoff = new Backoff(retry.initialBackoff(), retry.maxBackoff(), JITTER,
        () -> ThreadLocalRandom.current().nextDouble());
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "scoring-retry-" + subtask);
      t.setDaemon(true);
      return t;
    });
    channel = ServingChannels.open(serving);
    stub = GRPCInferenceServiceGrpc.newStub(channel);
    LOG.info("scoring subtask {} calls {} model={} timeout={} capacity={} ordering={}", subtask, serving,
        serving.modelName(), async.timeout(), async.capacity(), async.ordering().key());
  }

  @Override
  public void asyncInvoke(ScoringInput in, ResultFuture<ScoringOutcome> result) {
    new Call(in, result).attempt();
  }

  /** The watchdog: the vector is not given up, its retries go on. */
  @Override
  public void timeout(ScoringInput in, ResultFuture<ScoringOutcome> result) {
    stuck.inc();
    LOG.warn("sampleId={} still not scored by serving {}; retrying (nothing is dropped)", in.sampleId,
        serving.target());
  }

  @Override
  public void close() throws Exception {
    closing = true;
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** One vector's calls, from the first attempt to its outcome. */
  private final class Call {
    private final ScoringInput in;
    private final ResultFuture<ScoringOutcome> result;
    private final ModelInferRequest request;
    /** The vector's W3C trace context (valid), or null. */
    private final String traceparent;
    private final String tracestate;
    private int failures;
    private int serverFailures;

    Call(ScoringInput in, ResultFuture<ScoringOutcome> result) {
      this.in = in;
      this.result = result;
      this.request = InferMessages.request(serving.modelName(), in);
      this.traceparent = TraceContext.validTraceparent(RecordHeaders.text(in.headers, TraceContext.TRACEPARENT));
      this.tracestate = traceparent == null ? null
          : TraceContext.validTracestate(RecordHeaders.text(in.headers, TraceContext.TRACESTATE));
    }

    void attempt() {
      if (closing) {
        return;
      }
      CircuitBreaker.Permit permit = breaker.tryAcquire();
      if (!permit.allowed()) {
        // waiting on the circuit, not on this call's own failures: start over once it closes
        failures = 0;
        later(permit.waitNanos());
        return;
      }
      send(permit.probe());
    }

    private void send(boolean probe) {
      long t0 = System.nanoTime();
      GRPCInferenceServiceGrpc.GRPCInferenceServiceStub s =
          stub.withDeadlineAfter(async.timeout().toNanos(), TimeUnit.NANOSECONDS);
      if (traceparent != null) {
        // the vector's trace context goes with the call (serving logs it with any shadow prediction)
        s = s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(traceMetadata(traceparent, tracestate)));
      }
      if (probe) {
        // reconnect now rather than after the channel's own backoff, and let the probe wait for it
        channel.resetConnectBackoff();
        s = s.withWaitForReady();
      }
      try {
        s.modelInfer(request, new StreamObserver<>() {
          @Override
          public void onNext(ModelInferResponse response) {
            answered(response, (System.nanoTime() - t0) / 1_000);
          }

          @Override
          public void onError(Throwable t) {
            failed(Status.fromThrowable(t), probe);
          }

          @Override
          public void onCompleted() {}
        });
      } catch (RuntimeException e) {
        failed(Status.fromThrowable(e), probe);
      }
    }

    private void answered(ModelInferResponse response, long latencyMicros) {
      breaker.onSuccess();
      InferAnswer answer;
      try {
        answer = InferMessages.answer(response, in.values.length);
      } catch (IllegalArgumentException e) {
        refuse("BAD_RESPONSE", "serving " + serving.target() + " answered sample " + in.sampleId
            + " with an unusable response: " + e.getMessage());
        return;
      }
      ScoringOutcome outcome = ScoringOutcome.of(prediction(answer, latencyMicros));
      outcome.traceparent = traceparent;
      outcome.tracestate = tracestate;
      result.complete(List.of(outcome));
    }

    private void failed(Status status, boolean probe) {
      FailureKind kind = FailureKind.of(status.getCode());
      switch (kind) {
        case PERMANENT -> {
          // the server is there and answered: that is good news for the circuit
          breaker.onSuccess();
          refuse(status.getCode().name(), "serving " + serving.target() + " refused sample " + in.sampleId
              + ": " + status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()));
        }
        case SERVER_ERROR -> {
          breaker.onFailure(probe);
          serverErrors.inc();
          if (++serverFailures > retry.maxInternalRetries()) {
            refuse(status.getCode().name(), "serving " + serving.target() + " failed on sample " + in.sampleId
                + " " + serverFailures + " times: " + status.getCode()
                + (status.getDescription() == null ? "" : ": " + status.getDescription()));
          } else {
            retryLater(status);
          }
        }
        default -> {
          breaker.onFailure(probe);
          retryLater(status);
        }
      }
    }

    private void retryLater(Status status) {
      retries.inc();
      failures++;
      long wait = backoff.delayNanos(failures);
      if (LOG.isDebugEnabled()) {
        LOG.debug("sampleId={} attempt failed with {}; retry in {} ms", in.sampleId, status.getCode(),
            wait / 1_000_000);
      }
      later(wait);
    }

    private void later(long nanos) {
      if (closing) {
        return;
      }
      try {
        scheduler.schedule(this::attempt, nanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        // closing: the call stays in the operator's checkpointed queue and is sent again on restart
      }
    }

    private void refuse(String code, String reason) {
      refused.inc();
      LOG.warn("sampleId={} dead-lettered code={}: {}", in.sampleId, code, reason);
      result.complete(List.of(ScoringOutcome.of(deadLetter(in, code, reason))));
    }

    private Prediction prediction(InferAnswer a, long latencyMicros) {
      return Prediction.newBuilder()
          .setSampleId(in.sampleId)
          .setEntity(in.entity)
          .setWindowStart(Instant.ofEpochMilli(in.windowStart))
          .setWindowEnd(Instant.ofEpochMilli(in.windowEnd))
          .setModelName(a.modelName())
          .setModelVersion(a.modelVersion())
          .setModelAlias(a.modelAlias() != null ? a.modelAlias() : serving.alias())
          .setScore(a.score())
          .setProbability(a.probability())
          .setUncertainty(a.uncertainty())
          .setThreshold(a.threshold())
          .setAnomaly(a.score() >= a.threshold())
          .setAttributions(attributions.of(in, a.attributions()))
          .setLatencyMicros(latencyMicros)
          .setPredictedAt(Instant.now())
          .setShadow(false)
          .setFeatureSetVersion(in.featureSetVersion != null ? in.featureSetVersion : a.featureSetVersion())
          .build();
    }
  }

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of(TraceContext.TRACEPARENT, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> TRACESTATE =
      Metadata.Key.of(TraceContext.TRACESTATE, Metadata.ASCII_STRING_MARSHALLER);

  private static Metadata traceMetadata(String traceparent, String tracestate) {
    Metadata md = new Metadata();
    md.put(TRACEPARENT, traceparent);
    if (tracestate != null) {
      md.put(TRACESTATE, tracestate);
    }
    return md;
  }

  /** A dead letter for a vector: its raw bytes as read, where from, and why. */
  static DeadLetter deadLetter(ScoringInput in, String code, String reason) {
    return DeadLetter.newBuilder()
        .setSourceTopic(in.topic == null ? "" : in.topic)
        .setPartition(in.partition)
        .setOffset(in.offset)
        .setKey(in.rawKey == null ? null : ByteBuffer.wrap(in.rawKey))
        .setValue(in.rawValue == null ? null : ByteBuffer.wrap(in.rawValue))
        .setHeaders(RecordHeaders.toMap(in.headers))
        .setStage(in.failed() ? ScoringJob.STAGE_DECODE : STAGE)
        .setErrorCode(code)
        .setReason(reason)
        .setFailedAt(Instant.now())
        .build();
  }

  /** Probe timeout used by the breaker: a probe call always ends within the call deadline. */
  static Duration probeTimeout(ScoringJobConfig.Async async) {
    return async.timeout().plusSeconds(1);
  }
}
