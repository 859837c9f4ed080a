package io.vigil.labeling;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/** The service's Prometheus metrics, in a registry of its own. */
public final class Metrics {

  private final PrometheusRegistry registry = new PrometheusRegistry();
  public final Counter requestsAdded;
  public final Counter requestsDuplicate;
  public final Counter requestsDeadLettered;
  public final Counter labels;
  public final Counter outboxPublished;
  public final Counter logins;
  private final Histogram httpSeconds;

  public Histogram httpSeconds() {
    return httpSeconds;
  }

  public Metrics() {
    requestsAdded = Counter.builder().name("vigil_labeling_requests_added_total")
        .help("label requests queued").register(registry);
    requestsDuplicate = Counter.builder().name("vigil_labeling_requests_duplicate_total")
        .help("label requests dropped because their sample id was queued already").register(registry);
    requestsDeadLettered = Counter.builder().name("vigil_labeling_requests_dead_lettered_total")
        .help("unreadable label requests sent to the dead-letter topic").register(registry);
    labels = Counter.builder().name("vigil_labeling_labels_total")
        .help("labels stored, by kind and value").labelNames("kind", "label").register(registry);
    outboxPublished = Counter.builder().name("vigil_labeling_outbox_published_total")
        .help("outbox records published to Kafka").register(registry);
    logins = Counter.builder().name("vigil_labeling_logins_total")
        .help("login attempts by outcome").labelNames("outcome").register(registry);
    httpSeconds = Histogram.builder().name("vigil_labeling_http_request_seconds")
        .help("HTTP request latency by route").labelNames("method", "route", "status")
        .register(registry);
    JvmMetrics.builder().register(registry);
  }

  /** Gauges read when scraped. */
  public void gauges(LongSupplier openTasks, LongSupplier outboxPending) {
    GaugeWithCallback.builder().name("vigil_labeling_queue_open_tasks")
        .help("tasks waiting for labels").callback(cb -> cb.call(openTasks.getAsLong()))
        .register(registry);
    GaugeWithCallback.builder().name("vigil_labeling_outbox_pending")
        .help("outbox rows not yet published").callback(cb -> cb.call(outboxPending.getAsLong()))
        .register(registry);
  }

  public String scrape() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new PrometheusTextFormatWriter(false).write(out, registry.scrape());
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
