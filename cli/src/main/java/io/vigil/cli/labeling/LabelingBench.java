package io.vigil.cli.labeling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.embedded.EmbeddedKafka;
import io.vigil.labeling.LabelingConfig;
import io.vigil.labeling.LabelingServer;
import io.vigil.labeling.auth.Passwords;
import io.vigil.labeling.auth.Role;
import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.io.FileUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Next-task latency with a full queue, and label submissions per second with concurrent
 * annotators, over real HTTP against the real server (H2 file with WRITE_DELAY=0, outbox relay to
 * an embedded Kafka broker). The peer figure is the raw rate of single-row INSERT + COMMIT on the
 * same database with the same number of threads: the ceiling for "durable before acknowledged".
 */
@Command(name = "labeling", mixinStandardHelpOptions = true,
    description = "Next-task p99 with 100k queued requests and labels/s with 20 annotators, over HTTP.")
public final class LabelingBench implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "10k queued, shorter phases.")
  boolean quick;

  @Option(names = "--queued", description = "Requests in the queue (default 100000, --quick 10000).")
  Integer queued;

  @Option(names = "--annotators", description = "Concurrent annotators (default 20).")
  int annotators = 20;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    int n = queued != null ? queued : quick ? 10_000 : 100_000;
    int sequentialClaims = quick ? 300 : 2_000;
    Duration loadPhase = Duration.ofSeconds(quick ? 5 : 20);
    double loadAtStart = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dir = Files.createTempDirectory("vigil-bench-labeling-");
    String dbUrl = "jdbc:h2:file:" + dir.resolve("labels") + ";WRITE_DELAY=0";
    String secret = HexFormat.of().formatHex(random(32));
    String adminPassword = HexFormat.of().formatHex(random(12));
    try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
      LabelingConfig d = LabelingConfig.defaults();
      LabelingConfig config = d
          .withServer(new LabelingConfig.Server("127.0.0.1", 0, false, 5))
          .withDb(new LabelingConfig.Db(dbUrl, "sa", "", Math.max(annotators + 4, 10)))
          .withKafka(d.kafka().withBootstrapServers(kafka.bootstrapServers()))
          .withSecurity(new LabelingConfig.Security(secret, 12, 1000, "admin", adminPassword, "", ""))
          .withQueue(new LabelingConfig.Queue(300, 0, 2));
      try (LabelingServer server = LabelingServer.start(config,
          LabelingServer.Options.production().withPasswordIterations(Passwords.DEFAULT_ITERATIONS))) {
        out.printf(Locale.ROOT, "filling the queue with %,d label requests ...%n", n);
        out.flush();
        long t0 = System.nanoTime();
        Random rnd = new Random(42);
        for (int i = 0; i < n; i += 5_000) {
          List<LabelRequest> batch = new ArrayList<>();
          for (int j = i; j < Math.min(n, i + 5_000); j++) {
            batch.add(request(j, rnd));
          }
          server.queue().enqueueAll(batch);
        }
        double fillSeconds = (System.nanoTime() - t0) / 1e9;

        List<Client> clients = new ArrayList<>();
        for (int a = 0; a < annotators; a++) {
          String user = "bench-" + a;
          String pw = HexFormat.of().formatHex(random(12));
          server.auth().createUser("bench", user, Role.ANNOTATOR, pw);
          clients.add(Client.login(server.url(), user, pw));
        }

        // phase 1: one annotator, next + label in sequence: the claim latency over a full queue
        Client solo = clients.get(0);
        for (int i = 0; i < 50; i++) {
          solo.nextAndLabel(null); // warm-up
        }
        long[] soloNext = new long[sequentialClaims];
        for (int i = 0; i < sequentialClaims; i++) {
          soloNext[i] = solo.nextAndLabel(null);
        }

        // phase 2: all annotators at once for a fixed time, after an uncounted warm-up
        concurrently(clients, Duration.ofSeconds(3), new AtomicLong());
        AtomicLong labels = new AtomicLong();
        long start = System.nanoTime();
        long[] loadedArr = concurrently(clients, loadPhase, labels);
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        double labelsPerSecond = labels.get() / loadSeconds;

        // peer: raw single-row INSERT + COMMIT with as many threads, on the same database
        double peer = insertCommitRate(server, annotators, loadPhase);

        double p50 = percentileMs(soloNext, 0.50);
        double p99 = percentileMs(soloNext, 0.99);
        double p99Load = percentileMs(loadedArr, 0.99);
        out.println();
        out.println("vigil bench labeling — over HTTP against the real server");
        out.printf(Locale.ROOT, "  conditions: %d cores, Java %s, H2 file (WRITE_DELAY=0: every commit written before the answer),%n",
            Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        out.printf(Locale.ROOT, "              outbox relay to an embedded Kafka broker, %,d requests queued (filled in %.1f s),%n", n, fillSeconds);
        out.printf(Locale.ROOT, "              client and server in one JVM on loopback, PBKDF2 %d iterations at login,%n",
            Passwords.DEFAULT_ITERATIONS);
        out.printf(Locale.ROOT, "              system load average %.1f at start, %.1f at end (other work on the machine skews figures)%n",
            loadAtStart, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        out.println();
        out.printf(Locale.ROOT, "  %-52s %12s %10s%n", "figure", "value", "goal");
        out.printf(Locale.ROOT, "  %-52s %12.2f %10s%n", "next task p50, 1 annotator (ms)", p50, "");
        out.printf(Locale.ROOT, "  %-52s %12.2f %10s%n", "next task p99, 1 annotator (ms)", p99, "<= 50");
        out.printf(Locale.ROOT, "  %-52s %12.2f %10s%n", "next task p99, " + annotators + " annotators (ms)", p99Load, "");
        out.printf(Locale.ROOT, "  %-52s %12.0f %10s%n", "labels/s, " + annotators + " annotators (durable, acknowledged)", labelsPerSecond, ">= 200");
        out.printf(Locale.ROOT, "  %-52s %12.0f %10s%n", "peer: raw INSERT+COMMIT/s, " + annotators + " threads, same DB", peer, "");
        out.printf(Locale.ROOT, "  %-52s %12d %10s%n", "labels in the load phase (" + loadPhase.toSeconds() + " s)", labels.get(), "");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", "labeling");
        json.put("queued", n);
        json.put("annotators", annotators);
        json.put("next_task_p50_ms", round(p50));
        json.put("next_task_p99_ms", round(p99));
        json.put("next_task_p99_ms_under_load", round(p99Load));
        json.put("labels_per_s", round(labelsPerSecond));
        json.put("peer_insert_commit_per_s", round(peer));
        json.put("goal_next_task_p99_ms", 50);
        json.put("goal_labels_per_s", 200);
        json.put("quick", quick);
        json.put("load_average_at_start", round(loadAtStart));
        out.println(JSON.writeValueAsString(json));
        out.flush();
      }
    } finally {
      FileUtils.deleteQuietly(dir.toFile());
    }
    return 0;
  }

  /** Every client claims and labels in a loop for the given time; returns the claim latencies. */
  private static long[] concurrently(List<Client> clients, Duration d, AtomicLong labels) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    try {
      List<Future<long[]>> futures = new ArrayList<>();
      long end = System.nanoTime() + d.toNanos();
      for (Client c : clients) {
        futures.add(pool.submit(() -> {
          long[] lat = new long[1 << 16];
          int k = 0;
          while (System.nanoTime() < end && k < lat.length) {
            lat[k++] = c.nextAndLabel(labels);
          }
          return Arrays.copyOf(lat, k);
        }));
      }
      List<long[]> parts = new ArrayList<>();
      for (Future<long[]> f : futures) {
        parts.add(f.get());
      }
      return parts.stream().flatMapToLong(Arrays::stream).toArray();
    } finally {
      pool.shutdown();
    }
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static double percentileMs(long[] nanos, double q) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] s = nanos.clone();
    Arrays.sort(s);
    int i = (int) Math.min(s.length - 1, Math.ceil(q * s.length) - 1);
    return s[Math.max(i, 0)] / 1e6;
  }

  private static double insertCommitRate(LabelingServer server, int threads, Duration d) throws Exception {
    try (Connection c = server.database().dataSource().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE bench_peer (id VARCHAR(64) PRIMARY KEY, payload VARCHAR(400))");
      c.commit();
    }
    AtomicLong rows = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    long end = start + d.toNanos();
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      fs.add(pool.submit(() -> {
        try (Connection c = server.database().dataSource().getConnection();
            PreparedStatement ps = c.prepareStatement("INSERT INTO bench_peer (id, payload) VALUES (?, ?)")) {
          long k = 0;
          while (System.nanoTime() < end) {
            ps.setString(1, thread + "-" + (k++));
            ps.setString(2, "x".repeat(300));
            ps.executeUpdate();
            c.commit();
            rows.incrementAndGet();
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    return rows.get() / ((System.nanoTime() - start) / 1e9);
  }

  private static LabelRequest request(int i, Random rnd) {
    String sampleId = String.format(Locale.ROOT, "bench-%08d", i);
    long windowEnd = 1_767_225_600_000L + i * 60_000L;
    long windowStart = windowEnd - 300_000L;
    List<ContextPoint> ctx = new ArrayList<>();
    for (int p = 0; p < 20; p++) {
      long t = windowEnd - (19 - p) * 30_000L;
      ctx.add(ContextPoint.newBuilder().setTime(Instant.ofEpochMilli(t))
          .setMetrics(Map.of("cpu", rnd.nextDouble(), "mem", rnd.nextDouble(), "disk_io", rnd.nextDouble()))
          .setInWindow(t >= windowStart).build());
    }
    Prediction pr = Prediction.newBuilder().setSampleId(sampleId).setEntity("host-" + (i % 50))
        .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
        .setModelName("vigil-anomaly").setModelVersion("1").setScore(rnd.nextDouble())
        .setUncertainty(rnd.nextDouble()).setThreshold(0.7).setAnomaly(false)
        .setAttributions(Map.of("cpu", 0.5, "mem", 0.3)).setPredictedAt(Instant.ofEpochMilli(windowEnd)).build();
    return LabelRequest.newBuilder().setRequestId("r-" + sampleId).setSampleId(sampleId)
        .setEntity("host-" + (i % 50)).setWindowStart(Instant.ofEpochMilli(windowStart))
        .setWindowEnd(Instant.ofEpochMilli(windowEnd)).setReason(LabelReason.UNCERTAIN)
        .setPriority(rnd.nextDouble()).setPrediction(pr).setContext(ctx)
        .setCreatedAt(Instant.ofEpochMilli(windowEnd)).build();
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  /** One annotator's HTTP session. */
  private static final class Client {
    private final String base;
    private final HttpClient http;
    private String csrf;
    private long seq;

    private Client(String base) {
      this.base = base;
      this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .cookieHandler(new CookieManager()).connectTimeout(Duration.ofSeconds(5)).build();
    }

    static Client login(String base, String user, String password) throws IOException, InterruptedException {
      Client c = new Client(base);
      JsonNode me = c.post("/api/login", Map.of("username", user, "password", password), 200);
      c.csrf = me.path("csrfToken").asText();
      return c;
    }

    /** Claims the next task (timed) and labels it; returns the claim's latency in nanoseconds. */
    long nextAndLabel(AtomicLong labels) throws IOException, InterruptedException {
      long t0 = System.nanoTime();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/next"))
          .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
      long latency = System.nanoTime() - t0;
      if (r.statusCode() != 200) {
        throw new IllegalStateException("next task: HTTP " + r.statusCode() + " " + r.body());
      }
      JsonNode task = JSON.readTree(r.body()).path("task");
      if (task.isNull() || task.isMissingNode()) {
        throw new IllegalStateException("the queue ran dry; use a larger --queued");
      }
      String id = task.path("sampleId").asText();
      post("/api/tasks/" + id + "/label", Map.of("label", (seq % 3 == 0) ? "ANOMALY" : "NORMAL",
          "rootCauses", List.of("cpu"), "idempotencyKey", "bench-" + id + "-" + (seq++)), 201);
      if (labels != null) {
        labels.incrementAndGet();
      }
      return latency;
    }

    JsonNode post(String path, Object body, int expect) throws IOException, InterruptedException {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      if (csrf != null) {
        b.header("X-CSRF-Token", csrf);
      }
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != expect) {
        throw new IllegalStateException(path + ": HTTP " + r.statusCode() + " " + r.body());
      }
      return JSON.readTree(r.body());
    }
  }
}
