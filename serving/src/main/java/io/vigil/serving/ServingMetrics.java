package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The Prometheus metrics of one serving process, in one registry. */
public final class ServingMetrics {

  private final PrometheusRegistry registry;
  private final Counter requests;
  private final Histogram latency;
  private final Histogram batchRows;
  private final Counter modelCalls;
  private final Counter queueRejections;
  private final Counter modelLoads;
  private final Gauge modelLoaded;
  private final Counter predictionsLogged;
  private final Counter predictionsDropped;
  private final Counter predictionsFailed;
  private final Counter shadowDropped;
  private final Counter errors;
  private final Counter droppedBeforeRunning;

  public ServingMetrics(PrometheusRegistry registry) {
    this.registry = requireNonNull(registry, "registry");
    requests = Counter.builder().name("vigil_serving_requests_total")
        .help("gRPC calls by method and status code").labelNames("method", "code").register(registry);
    latency = Histogram.builder().name("vigil_serving_request_latency_seconds")
        .help("Time from receiving a ModelInfer call to sending its answer")
        .classicUpperBounds(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
        .register(registry);
    batchRows = Histogram.builder().name("vigil_serving_batch_rows")
        .help("Rows per model call (dynamic batching)").labelNames("role")
        .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024).register(registry);
    modelCalls = Counter.builder().name("vigil_serving_model_calls_total")
        .help("Model calls (one tensor each)").labelNames("role").register(registry);
    queueRejections = Counter.builder().name("vigil_serving_queue_rejections_total")
        .help("Requests refused because the inference queue was full").labelNames("role").register(registry);
    modelLoads = Counter.builder().name("vigil_serving_model_loads_total")
        .help("Attempts to load a model version, by role and result").labelNames("role", "result")
        .register(registry);
    modelLoaded = Gauge.builder().name("vigil_serving_model_loaded")
        .help("1 for the version serving each role").labelNames("role", "name", "version")
        .register(registry);
    predictionsLogged = Counter.builder().name("vigil_serving_predictions_logged_total")
        .help("Predictions written to Kafka").register(registry);
    predictionsDropped = Counter.builder().name("vigil_serving_predictions_dropped_total")
        .help("Predictions dropped because the log buffer was full").register(registry);
    predictionsFailed = Counter.builder().name("vigil_serving_predictions_failed_total")
        .help("Predictions Kafka did not accept").register(registry);
    errors = Counter.builder().name("vigil_serving_errors_total")
        .help("gRPC calls that did not end OK, by method and status code").labelNames("method", "code")
        .register(registry);
    droppedBeforeRunning = Counter.builder().name("vigil_serving_dropped_before_running_total")
        .help("Queued requests not run because their caller cancelled or their deadline passed")
        .labelNames("role").register(registry);
    shadowDropped = Counter.builder().name("vigil_serving_shadow_dropped_total")
        .help("Shadow scorings skipped because the shadow model was busy or absent").register(registry);
  }

  /** The label children of the hot path, looked up once instead of per request. */
  private volatile io.prometheus.metrics.core.datapoints.CounterDataPoint inferOk;

  public PrometheusRegistry registry() {
    return registry;
  }

  public void request(String method, String code, long nanos) {
    if ("ModelInfer".equals(method) && "OK".equals(code)) {
      io.prometheus.metrics.core.datapoints.CounterDataPoint ok = inferOk;
      if (ok == null) {
        inferOk = ok = requests.labelValues(method, code);
      }
      ok.inc();
      if (nanos > 0) {
        latency.observe(nanos / 1e9);
      }
      return;
    }
    requests.labelValues(method, code).inc();
    if (!"OK".equals(code)) {
      errors.labelValues(method, code).inc();
    }
    if ("ModelInfer".equals(method) && nanos > 0) {
      latency.observe(nanos / 1e9);
    }
  }

  public double requests(String method, String code) {
    return requests.labelValues(method, code).get();
  }

  public DynamicBatcher.Listener batcherListener(String role) {
    var calls = modelCalls.labelValues(role);
    var rowsPerCall = batchRows.labelValues(role);
    return new DynamicBatcher.Listener() {
      @Override
      public void modelCall(int rows, long nanos) {
        calls.inc();
        rowsPerCall.observe(rows);
      }

      @Override
      public void rejected() {
        queueRejections.labelValues(role).inc();
      }

      @Override
      public void dropped() {
        droppedBeforeRunning.labelValues(role).inc();
      }
    };
  }

  public double errors(String method, String code) {
    return errors.labelValues(method, code).get();
  }

  /** Reports the requests waiting in each role's batching queue, read at every scrape. */
  public void queueDepth(ModelManager models) {
    io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("vigil_serving_queue_depth")
        .help("Requests waiting in the batching queue").labelNames("role")
        .callback(cb -> {
          for (ModelManager.Role role : ModelManager.Role.values()) {
            models.current(role).ifPresent(m -> cb.call(m.batcher().queuedRequests(), role.label()));
          }
        }).register(registry);
  }

  public void modelLoad(String role, boolean ok) {
    modelLoads.labelValues(role, ok ? "ok" : "failed").inc();
  }

  public double modelLoads(String role, boolean ok) {
    return modelLoads.labelValues(role, ok ? "ok" : "failed").get();
  }

  public void serving(String role, ModelId previous, ModelId now) {
    if (previous != null) {
      modelLoaded.remove(role, previous.name(), previous.version());
    }
    if (now != null) {
      modelLoaded.labelValues(role, now.name(), now.version()).set(1);
    }
  }

  public void predictionLogged() {
    predictionsLogged.inc();
  }

  public void predictionDropped() {
    predictionsDropped.inc();
  }

  public void predictionFailed() {
    predictionsFailed.inc();
  }

  public double predictionsLogged() {
    return predictionsLogged.get();
  }

  public double predictionsDropped() {
    return predictionsDropped.get();
  }

  public double predictionsFailed() {
    return predictionsFailed.get();
  }

  public void shadowDropped() {
    shadowDropped.inc();
  }
}
