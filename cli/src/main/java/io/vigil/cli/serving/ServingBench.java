package io.vigil.cli.serving;

import ai.djl.inference.Predictor;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.serving.DirectoryModelSource;
import io.vigil.serving.ModelManager;
import io.vigil.serving.ServingConfig;
import io.vigil.serving.ServingServer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Throughput and latency of batch-1 ModelInfer calls from many concurrent clients over loopback
 * gRPC: the server with dynamic batching, the same server with batching off (the peer), and the
 * DJL predictor called directly in-process with batch-1 rows on as many threads as the server has
 * predictors (the limit of unbatched scoring, with no gRPC at all).
 */
@Command(name = "serving", mixinStandardHelpOptions = true,
    description = "Batch-1 ModelInfer from many clients: dynamic batching on vs off vs the DJL predictor in-process.")
public final class ServingBench implements Callable<Integer> {


  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "Shorter: 2 s warm-up, 2 rounds of 2 s per condition, 32 clients.")
  boolean quick;

  @Option(names = "--clients", paramLabel = "N", description = "Concurrent clients (default 64, --quick 32).")
  Integer clients;

  @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds per condition, split in rounds (default 10, --quick 4).")
  Integer seconds;

  @Option(names = "--max-batch", paramLabel = "N", defaultValue = "64", description = "Batching: most rows per call (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-delay-us", paramLabel = "US", defaultValue = "2000",
      description = "Batching: longest wait for a batch to fill (default ${DEFAULT-VALUE} us).")
  int maxDelayMicros;

  @Option(names = "--features", paramLabel = "N", defaultValue = "307",
      description = "Input width (default ${DEFAULT-VALUE}: the SMD default feature set).")
  int features;

  @Option(names = "--hidden", paramLabel = "SIZES", split = ",", defaultValue = "256,64,256",
      description = "Hidden layer sizes of the autoencoder (default ${DEFAULT-VALUE}).")
  List<Integer> hidden;

  @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "Predictors in the pool (default ${DEFAULT-VALUE}).")
  int workers;

  /** One measured condition. */
  record Result(double rps, double p50Ms, double p99Ms, long requests, long modelCalls) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    io.vigil.model.DjlRuntime.applyCpuDefaults();
    int n = clients != null ? clients : quick ? 32 : 64;
    int measure = seconds != null ? seconds : quick ? 4 : 10;
    int warm = quick ? 2 : 3;
    double loadAtStart = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dir = Files.createTempDirectory("vigil-bench-serving-");
    List<String> names = IntStream.range(0, features).mapToObj(i -> "f" + i).toList();
    ModelSpec modelSpec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, hidden),
        new ModelSpec.Inputs(names, "bench", "bench-1"), new ModelSpec.ScoreScale(0, 1, 3), 42);
    Path modelDir = dir.resolve("model");
    try (ModelArtifact m = ModelArtifacts.create(modelSpec)) {
      ModelArtifacts.save(m, modelDir);
    }
    float[][] rows = new float[1024][];
    Random random = new Random(7);
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new float[features];
      for (int j = 0; j < features; j++) {
        rows[i][j] = (float) random.nextGaussian();
      }
    }

    int rounds = quick ? 2 : 5;
    int perRound = Math.max(1, measure / rounds);
    Result batched;
    Result unbatched;
    Result direct;
    List<AutoCloseable> open = new ArrayList<>();
    try {
      Condition b = serverCondition(dir, modelDir, true, n, rows, open);
      Condition u = serverCondition(dir, modelDir, false, n, rows, open);
      Condition d = inProcessCondition(modelDir, rows, open);
      for (Condition c : List.of(b, u, d)) {
        c.measure(warm);
        c.reset();
      }
      // the conditions take turns, so that a change in the machine's load hits all of them alike
      for (int r = 0; r < rounds; r++) {
        for (Condition c : List.of(b, u, d)) {
          c.measure(perRound);
        }
      }
      batched = b.result();
      unbatched = u.result();
      direct = d.result();
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
    double batch64 = inProcessBatched(modelDir, rows);

    double cores = Runtime.getRuntime().availableProcessors();
    out.println("vigil bench serving" + (quick ? " --quick" : ""));
    out.printf(Locale.ROOT, "conditions: %.0f cores, Java %s, DJL 0.36.0 PyTorch 2.7.1 CPU (1 intra-op, 1 inter-op thread),"
        + " autoencoder %d-%s-%d, %d predictors; %d concurrent clients sending batch-1 FP32 ModelInfer"
        + " (typed contents) over loopback gRPC (Netty, plaintext, one channel) in the same JVM; %d s warm-up,"
        + " then %d rounds in which the three conditions take turns, %d s each; prediction log off;"
        + " load average at start %.1f%n", cores,
        System.getProperty("java.version"), features,
        hidden.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("-")), features, workers, n, warm, rounds, perRound, loadAtStart);
    out.printf(Locale.ROOT, "%-64s %10s %9s %9s %12s%n", "condition", "req/s", "p50 ms", "p99 ms", "model calls");
    row(out, "vigil serving, dynamic batching (max " + maxBatch + " rows, " + maxDelayMicros + " us)", batched);
    row(out, "peer: same server, batching off (one model call per request)", unbatched);
    row(out, "limit: DJL predictor in-process, batch-1, " + workers + " threads, no gRPC", direct);
    out.printf(Locale.ROOT, "%-64s %,10.0f %9s %9s %12s%n", "(for reference: in-process batches of 64 rows, rows/s)",
        batch64, "", "", "");
    out.printf(Locale.ROOT, "mean rows per model call with batching: %.1f; vs_unbatched = %.2f, vs_in_process = %.2f%n",
        batched.requests() / (double) Math.max(1, batched.modelCalls()), batched.rps() / unbatched.rps(),
        batched.rps() / direct.rps());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "serving");
    json.put("quick", quick);
    json.put("clients", n);
    json.put("rps_batched", round(batched.rps()));
    json.put("rps_unbatched", round(unbatched.rps()));
    json.put("rps_in_process", round(direct.rps()));
    json.put("vs_unbatched", round2(batched.rps() / unbatched.rps()));
    json.put("vs_in_process", round2(batched.rps() / direct.rps()));
    json.put("p50_ms", round2(batched.p50Ms()));
    json.put("p99_ms", round2(batched.p99Ms()));
    json.put("p50_ms_unbatched", round2(unbatched.p50Ms()));
    json.put("p99_ms_unbatched", round2(unbatched.p99Ms()));
    json.put("mean_batch_rows", round2(batched.requests() / (double) Math.max(1, batched.modelCalls())));
    json.put("rows_per_s_in_process_batch64", round(batch64));
    out.println(new ObjectMapper().writeValueAsString(json));
    out.flush();
    return 0;
  }

  private static void row(PrintWriter out, String name, Result r) {
    out.printf(Locale.ROOT, "%-64s %,10.0f %9.2f %9.2f %,12d%n", name, r.rps(), r.p50Ms(), r.p99Ms(), r.modelCalls());
  }

  /** One condition, measured in several windows; its latencies and model calls accumulate. */
  private static final class Condition {
    final int threads;
    final Call call;
    final java.util.function.LongSupplier modelCalls;
    final List<long[]> latencies = new ArrayList<>();
    double seconds;
    long calls0;

    Condition(int threads, Call call, java.util.function.LongSupplier modelCalls) {
      this.threads = threads;
      this.call = call;
      this.modelCalls = modelCalls;
    }

    void measure(int forSeconds) throws Exception {
      Window w = run(threads, forSeconds, call);
      latencies.add(w.latencies());
      seconds += w.seconds();
    }

    void reset() {
      latencies.clear();
      seconds = 0;
      calls0 = modelCalls.getAsLong();
    }

    Result result() {
      int total = latencies.stream().mapToInt(l -> l.length).sum();
      long[] merged = new long[total];
      int at = 0;
      for (long[] l : latencies) {
        System.arraycopy(l, 0, merged, at, l.length);
        at += l.length;
      }
      Arrays.sort(merged);
      double p50 = total == 0 ? 0 : merged[(int) (total * 0.50)] / 1e6;
      double p99 = total == 0 ? 0 : merged[Math.min(total - 1, (int) (total * 0.99))] / 1e6;
      return new Result(total / seconds, p50, p99, total, modelCalls.getAsLong() - calls0);
    }
  }

  private Condition serverCondition(Path dir, Path modelDir, boolean batching, int n, float[][] rows,
      List<AutoCloseable> open) {
    ServingConfig d = ServingConfig.defaults();
    ServingConfig cfg = d.withGrpc(new ServingConfig.Grpc("127.0.0.1", 0, 4, 100_000, 4 * 1024 * 1024, 5))
        .withMetrics(new ServingConfig.Metrics(false, "127.0.0.1", 0))
        .withModel(new ServingConfig.ModelSelection("bench", "champion", null, null, 3600,
            dir.resolve("work-" + batching).toString(), 3, 10))
        .withBatching(new ServingConfig.Batching(batching, maxBatch, maxDelayMicros, 100_000, workers))
        .withKafka(new ServingConfig.Kafka(false, "127.0.0.1:9092", "vigil.predictions", "vigil.model-events", 1024));
    List<ModelInferRequest> requests = new ArrayList<>();
    for (float[] r : rows) {
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      for (float f : r) {
        c.addFp32Contents(f);
      }
      requests.add(ModelInferRequest.newBuilder().setModelName("bench")
          .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
              .addShape(1).addShape(features).setContents(c)).build());
    }
    ServingServer server = ServingServer.start(cfg, new ServingServer.Parts(
        new DirectoryModelSource("bench", "1", modelDir), null, null, null, null));
    open.add(server);
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    open.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch);
    var batcher = server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher();
    return new Condition(n, (t, i) -> stub.modelInfer(requests.get((t * 31 + i) % requests.size())),
        batcher::modelCalls);
  }

  private Condition inProcessCondition(Path modelDir, float[][] rows, List<AutoCloseable> open) {
    ModelArtifact m = ModelArtifacts.load(modelDir);
    open.add(m);
    List<Predictor<FeatureBatch, ScoreBatch>> predictors = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor();
      predictors.add(p);
      open.add(p);
    }
    java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
    return new Condition(workers, (t, i) -> {
      predictors.get(t).predict(new FeatureBatch(rows[(t * 31 + i) % rows.length], 1, features));
      calls.incrementAndGet();
    }, calls::get);
  }

  private double inProcessBatched(Path modelDir, float[][] rows) throws Exception {
    float[] values = new float[64 * features];
    for (int i = 0; i < 64; i++) {
      System.arraycopy(rows[i], 0, values, i * features, features);
    }
    try (ModelArtifact m = ModelArtifacts.load(modelDir);
        Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor()) {
      FeatureBatch b = new FeatureBatch(values, 64, features);
      for (int i = 0; i < 200; i++) {
        p.predict(b);
      }
      int calls = 2_000;
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        p.predict(b);
      }
      return calls * 64 / ((System.nanoTime() - t0) / 1e9);
    }
  }

  @FunctionalInterface
  interface Call {
    void call(int thread, int i) throws Exception;
  }

  /** The latency of every call in one measured window, and the window's length. */
  record Window(long[] latencies, double seconds) {}

  /** {@code threads} loops of calls for {@code seconds}; latency of each call. */
  private static Window run(int threads, int seconds, Call call) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> futures = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          long[] lat = new long[1 << 14];
          int k = 0;
          while (System.nanoTime() < end) {
            long s = System.nanoTime();
            call.call(thread, k);
            if (k == lat.length) {
              lat = Arrays.copyOf(lat, lat.length * 2);
            }
            lat[k++] = System.nanoTime() - s;
          }
          return Arrays.copyOf(lat, k);
        }));
      }
      List<long[]> all = new ArrayList<>();
      int total = 0;
      for (Future<long[]> f : futures) {
        long[] l = f.get();
        all.add(l);
        total += l.length;
      }
      double elapsed = (System.nanoTime() - t0) / 1e9;
      long[] merged = new long[total];
      int at = 0;
      for (long[] l : all) {
        System.arraycopy(l, 0, merged, at, l.length);
        at += l.length;
      }
      return new Window(merged, elapsed);
    } finally {
      pool.shutdown();
    }
  }

  private static double round(double v) {
    return Math.round(v);
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
