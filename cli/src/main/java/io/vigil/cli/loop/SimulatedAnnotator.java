package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An annotator for demos and tests: signs in to the labeling UI like a person, takes the next task,
 * answers it from the dataset's label files (wrong with probability {@code noise}), and goes on,
 * through the same HTTP API the browser uses. So its labels take the real path: the label store,
 * the outbox, {@code vigil.labels}, the retraining watcher.
 */
public final class SimulatedAnnotator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SimulatedAnnotator.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final String username;
  private final String password;
  private final GroundTruth truth;
  private final double noise;
  private final Duration pause;
  private final Random random;
  private final HttpClient http;
  private final AtomicLong labelled = new AtomicLong();
  private final AtomicLong anomalies = new AtomicLong();
  private final AtomicLong unknown = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private String csrf;

  /**
   * @param pause how long to wait between two labels (a person's pace; 0 = as fast as the UI answers)
   */
  public SimulatedAnnotator(URI labelingUi, String username, String password, GroundTruth truth,
      double noise, Duration pause, long seed) {
    this.base = requireNonNull(labelingUi, "labelingUi");
    this.username = requireNonNull(username, "username");
    this.password = requireNonNull(password, "password");
    this.truth = requireNonNull(truth, "truth");
    if (!(noise >= 0 && noise < 0.5)) {
      throw new IllegalArgumentException("annotator noise must be in [0, 0.5): " + noise);
    }
    this.noise = noise;
    this.pause = requireNonNull(pause, "pause");
    this.random = new Random(seed);
    this.http = HttpClient.newBuilder().cookieHandler(new CookieManager())
        .connectTimeout(Duration.ofSeconds(5)).build();
    this.thread = new Thread(this::loop, "vigil-simulated-annotator");
    this.thread.setDaemon(true);
  }

  public SimulatedAnnotator start() {
    thread.start();
    return this;
  }

  /** Labels given so far. */
  public long labelled() {
    return labelled.get();
  }

  /** Of those, answered "anomaly". */
  public long anomalies() {
    return anomalies.get();
  }

  /** Tasks the label files had no answer for (skipped). */
  public long unknown() {
    return unknown.get();
  }

  private void loop() {
    while (running) {
      try {
        if (csrf == null) {
          login();
        }
        if (!labelNext()) {
          Thread.sleep(200);
        } else if (!pause.isZero()) {
          Thread.sleep(pause.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException | RuntimeException e) {
        if (running) {
          LOG.warn("simulated annotator: {}; retrying", e.getMessage());
          csrf = null;
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  private void login() throws IOException, InterruptedException {
    JsonNode me = send("POST", "/api/login", Map.of("username", username, "password", password));
    csrf = me.path("csrfToken").asText(null);
    if (csrf == null) {
      throw new IOException("the labeling UI did not return a CSRF token");
    }
  }

  /** Takes and answers one task; false when the queue is empty. */
  private boolean labelNext() throws IOException, InterruptedException {
    JsonNode task = send("GET", "/api/next", null).path("task");
    if (task.isMissingNode() || task.isNull()) {
      return false;
    }
    String sampleId = task.path("sampleId").asText();
    GroundTruth.Answer a = truth.answer(task.path("entity").asText(), task.path("windowEnd").asLong());
    Map<String, Object> body = new LinkedHashMap<>();
    if (a == null) {
      unknown.incrementAndGet();
      body.put("label", "SKIP");
    } else {
      boolean anomaly = noise > 0 && random.nextDouble() < noise ? !a.anomaly() : a.anomaly();
      body.put("label", anomaly ? "ANOMALY" : "NORMAL");
      if (anomaly) {
        body.put("rootCauses", a.rootCauses());
        anomalies.incrementAndGet();
      }
    }
    body.put("note", "simulated annotator (label files)");
    body.put("idempotencyKey", "sim-" + sampleId + "-" + task.path("requestId").asText());
    send("POST", "/api/tasks/" + sampleId + "/label", body);
    labelled.incrementAndGet();
    return true;
  }

  private JsonNode send(String method, String path, Object body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
    if (body == null) {
      b.GET();
    } else {
      b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
          .header("Content-Type", "application/json");
      if (csrf != null) {
        b.header("X-CSRF-Token", csrf);
      }
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() >= 300) {
      throw new IOException(method + " " + path + " answered " + r.statusCode() + ": "
          + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return JSON.readTree(r.body());
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
