package io.vigil.cli.serving;

import ai.djl.inference.Predictor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.serving.DirectoryModelSource;
import io.vigil.serving.ModelManager;
import io.vigil.serving.ServingConfig;
import io.vigil.serving.ServingServer;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A load generator for the serving process over loopback gRPC (Netty), with a closed-loop mode (N
 * clients, each sending its next call when the last is answered) and an open-loop mode (calls at
 * a fixed arrival rate, latency counted from the scheduled send time, so a slow server cannot slow
 * the load down). It compares:
 *
 * <ul>
 *   <li>(a) batch-1 ModelInfer at several concurrency levels on the serving process (dynamic
 *       batching, the DJL model) beside the same gRPC transport answering ModelInfer with a fixed
 *       answer of the right shape and no model (the transport limit); then open loop at half of
 *       the serving process's saturation rate;
 *   <li>(b) 256-row requests over gRPC beside the DJL predictors called in-process with the same
 *       256-row batches on as many threads as the server has predictors (the compute limit).
 * </ul>
 */
@Command(name = "serving", mixinStandardHelpOptions = true,
    description = "Load generator (open and closed loop): the serving process vs the gRPC transport alone"
        + " (batch-1) and vs the DJL predictor in-process (256-row batches).")
public final class ServingBench implements Callable<Integer> {

  static final String MODEL = "bench";

  @Spec CommandSpec spec;

  @Option(names = "--quick", description = "A short run: fewer concurrency levels, 1.5 s per measurement.")
  boolean quick;

  @Option(names = "--levels", paramLabel = "N,..", split = ",",
      description = "Closed-loop concurrency levels for batch-1 (default 1,4,16,64,128,256; --quick 1,16,64).")
  List<Integer> levels;

  @Option(names = "--seconds", paramLabel = "S", description = "Seconds per measurement (default 4, --quick 1.5).")
  Double seconds;

  @Option(names = "--max-batch", paramLabel = "N", defaultValue = "256",
      description = "Batching: most rows per model call and per request (default ${DEFAULT-VALUE}).")
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

  @Option(names = "--big-rows", paramLabel = "N", defaultValue = "256", description = "Rows per request in part (b) (default ${DEFAULT-VALUE}).")
  int bigRows;

  @Option(names = "--big-clients", paramLabel = "N", description = "Closed-loop clients in part (b) (default: 2 x workers).")
  Integer bigClientsOption;

  /** One measurement: calls answered per second, latency percentiles, failures. */
  record Result(double rps, double p50Ms, double p99Ms, long calls, long failed) {}

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    io.vigil.model.DjlRuntime.applyCpuDefaults();
    List<Integer> conc = levels != null ? levels : quick ? List.of(1, 16, 64) : List.of(1, 4, 16, 64, 128, 256);
    double secs = seconds != null ? seconds : quick ? 1.5 : 4;
    double warm = quick ? 1 : 2;
    double loadAtStart = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Path dir = Files.createTempDirectory("vigil-bench-serving-");
    List<String> names = IntStream.range(0, features).mapToObj(i -> "f" + i).toList();
    ModelSpec modelSpec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, hidden),
        new ModelSpec.Inputs(names, "bench", "bench-1"), new ModelSpec.ScoreScale(0, 1, 3), 42);
    Path modelDir = dir.resolve("model");
    try (ModelArtifact m = ModelArtifacts.create(modelSpec)) {
      ModelArtifacts.save(m, modelDir);
    }
    Random random = new Random(7);
    float[][] rows = new float[1024][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = new float[features];
      for (int j = 0; j < features; j++) {
        rows[i][j] = (float) random.nextGaussian();
      }
    }
    List<ModelInferRequest> single = new ArrayList<>();
    for (float[] r : rows) {
      single.add(typedRequest(r, 1));
    }
    List<ModelInferRequest> big = new ArrayList<>();
    List<FeatureBatch> bigBatches = new ArrayList<>();
    for (int b = 0; b < 8; b++) {
      float[] values = new float[bigRows * features];
      for (int i = 0; i < bigRows; i++) {
        System.arraycopy(rows[(b * bigRows + i) % rows.length], 0, values, i * features, features);
      }
      big.add(rawRequest(values, bigRows));
      bigBatches.add(new FeatureBatch(values, bigRows, features));
    }

    ServingConfig cfg = config(dir, true);
    Map<String, Object> json = new LinkedHashMap<>();
    List<String> table = new ArrayList<>();
    List<AutoCloseable> open = new ArrayList<>();
    try {
      ServingServer serving = ServingServer.start(cfg, new ServingServer.Parts(
          new DirectoryModelSource(MODEL, "1", modelDir), null, null, null, null));
      open.add(serving);
      var batcher = serving.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher();
      ManagedChannel servingChannel = channel(serving.port());
      open.add(() -> servingChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      // the fixed answer of the transport-only server: a real answer to a batch-1 request
      ModelInferResponse fixed = GRPCInferenceServiceGrpc.newBlockingStub(servingChannel).modelInfer(single.get(0));
      TransportOnly transport = TransportOnly.start(cfg, fixed);
      open.add(transport);
      ManagedChannel transportChannel = channel(transport.port());
      open.add(() -> transportChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      var servingStub = GRPCInferenceServiceGrpc.newStub(servingChannel);
      var transportStub = GRPCInferenceServiceGrpc.newStub(transportChannel);
      IntFunction<ModelInferRequest> pick = i -> single.get(i % single.size());

      // warm both up at the highest level
      int top = conc.stream().mapToInt(Integer::intValue).max().orElse(64);
      closedLoop(servingStub, pick, top, warm);
      closedLoop(transportStub, pick, top, warm);

      // (a) closed loop, batch-1, the two servers taking turns at each level
      double satServing = 0;
      double satTransport = 0;
      int satLevel = 0;
      for (int c : conc) {
        Result t = closedLoop(transportStub, pick, c, secs);
        long calls0 = batcher.modelCalls();
        long rows0 = batcher.rowsScored();
        Result s = closedLoop(servingStub, pick, c, secs);
        long calls = batcher.modelCalls() - calls0;
        double meanRows = (batcher.rowsScored() - rows0) / (double) Math.max(1, calls);
        table.add(row("(a) closed loop, batch-1, " + c + " clients: serving (DJL, batching)", s,
            String.format(Locale.ROOT, "%.1f rows/call", meanRows)));
        table.add(row("    same level: gRPC transport only (fixed answer, no model)", t, ""));
        json.put("rps_c" + c, round(s.rps()));
        json.put("p99_ms_c" + c, round2(s.p99Ms()));
        json.put("rps_transport_c" + c, round(t.rps()));
        if (s.rps() > satServing) {
          satServing = s.rps();
          satLevel = c;
        }
        satTransport = Math.max(satTransport, t.rps());
      }
      // open loop at half of the saturation rate of each
      openLoop(servingStub, pick, satServing / 2, warm);
      Result halfServing = openLoop(servingStub, pick, satServing / 2, secs * 1.5);
      openLoop(transportStub, pick, satTransport / 2, warm);
      Result halfTransport = openLoop(transportStub, pick, satTransport / 2, secs * 1.5);
      table.add(row(String.format(Locale.ROOT, "(a) open loop at half saturation, %,.0f req/s: serving", satServing / 2),
          halfServing, ""));
      table.add(row(String.format(Locale.ROOT, "    open loop at half saturation, %,.0f req/s: transport only",
          satTransport / 2), halfTransport, ""));

      // batching off at the saturating level: what dynamic batching is worth
      ServingServer unbatched = ServingServer.start(config(dir, false), new ServingServer.Parts(
          new DirectoryModelSource(MODEL, "1", modelDir), null, null, null, null));
      open.add(unbatched);
      ManagedChannel unbatchedChannel = channel(unbatched.port());
      open.add(() -> unbatchedChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      var unbatchedStub = GRPCInferenceServiceGrpc.newStub(unbatchedChannel);
      closedLoop(unbatchedStub, pick, satLevel, warm);
      Result off = closedLoop(unbatchedStub, pick, satLevel, secs);
      table.add(row("    peer: same server, batching off, " + satLevel + " clients", off, ""));

      // (b) 256-row requests over gRPC vs the predictors in-process
      int bigClients = bigClientsOption != null ? bigClientsOption : 2 * workers;
      IntFunction<ModelInferRequest> pickBig = i -> big.get(i % big.size());
      closedLoop(servingStub, pickBig, bigClients, warm);
      Result grpcBig = closedLoop(servingStub, pickBig, bigClients, secs);
      Result inProcess = inProcess(modelDir, bigBatches, warm, secs);
      double grpcRows = grpcBig.rps() * bigRows;
      double inProcessRows = inProcess.rps() * bigRows;
      table.add(row("(b) " + bigRows + "-row requests (raw), " + bigClients + " clients: serving over gRPC", grpcBig,
          String.format(Locale.ROOT, "%,.0f rows/s", grpcRows)));
      table.add(row("    DJL predictor in-process, " + bigRows + "-row batches, " + workers + " threads, no gRPC",
          inProcess, String.format(Locale.ROOT, "%,.0f rows/s", inProcessRows)));

      double vsTransport = satServing / satTransport;
      double vsInProcess = grpcRows / inProcessRows;
      double cores = Runtime.getRuntime().availableProcessors();
      out.println("vigil bench serving" + (quick ? " --quick" : ""));
      out.printf(Locale.ROOT, "conditions: %.0f cores, Java %s, DJL PyTorch CPU (1 intra-op, 1 inter-op thread),"
          + " autoencoder %d-%s-%d, %d predictors, batching max %d rows / %d us; clients and servers in one JVM"
          + " over loopback gRPC (Netty, plaintext, one channel per server, async stubs); batch-1 requests typed"
          + " FP32, %d-row requests raw; %.1f s per measurement after %.1f s warm-up; prediction log off;"
          + " load average at start %.1f%n", cores, System.getProperty("java.version"), features,
          hidden.stream().map(String::valueOf).collect(Collectors.joining("-")), features, workers, maxBatch,
          maxDelayMicros, bigRows, secs, warm, loadAtStart);
      out.printf(Locale.ROOT, "%-78s %10s %9s %9s  %s%n", "condition", "req/s", "p50 ms", "p99 ms", "");
      table.forEach(out::println);
      out.printf(Locale.ROOT, "saturation: serving %,.0f req/s (at %d clients), transport only %,.0f req/s ->"
          + " vs_transport = %.2f (goal >= 0.7); p99 at half saturation = %.2f ms (goal <= 5);"
          + " %d-row: vs_inprocess = %.2f (goal >= 0.6); batching vs off at %d clients = %.2fx%n",
          satServing, satLevel, satTransport, vsTransport, halfServing.p99Ms(), bigRows, vsInProcess, satLevel,
          satServing / Math.max(1, off.rps()));
      json.put("bench", "serving");
      json.put("quick", quick);
      json.put("vs_transport", round2(vsTransport));
      json.put("vs_inprocess", round2(vsInProcess));
      json.put("p99_ms_half", round2(halfServing.p99Ms()));
      json.put("rps_saturation", round(satServing));
      json.put("rps_transport_saturation", round(satTransport));
      json.put("saturation_clients", satLevel);
      json.put("rps_half_offered", round(satServing / 2));
      json.put("rps_half_achieved", round(halfServing.rps()));
      json.put("p50_ms_half", round2(halfServing.p50Ms()));
      json.put("p99_ms_half_transport", round2(halfTransport.p99Ms()));
      json.put("rps_unbatched", round(off.rps()));
      json.put("vs_unbatched", round2(satServing / Math.max(1, off.rps())));
      json.put("rows_per_s_grpc_" + bigRows, round(grpcRows));
      json.put("rows_per_s_in_process_" + bigRows, round(inProcessRows));
      json.put("failed", halfServing.failed() + grpcBig.failed() + off.failed());
      out.println(new ObjectMapper().writeValueAsString(json));
      out.flush();
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
    return 0;
  }

  private ServingConfig config(Path dir, boolean batching) {
    ServingConfig d = ServingConfig.defaults();
    long maxBytes = Math.max(16L * 1024 * 1024, (long) bigRows * features * 4 * 2);
    return d.withGrpc(new ServingConfig.Grpc("127.0.0.1", 0, 4, 100_000, (int) Math.min(Integer.MAX_VALUE, maxBytes), 5))
        .withMetrics(new ServingConfig.Metrics(false, "127.0.0.1", 0))
        .withModel(new ServingConfig.ModelSelection(MODEL, "champion", null, null, 3600,
            dir.resolve("work-" + batching).toString(), 3, 10))
        .withBatching(new ServingConfig.Batching(batching, Math.max(maxBatch, bigRows), maxDelayMicros, 100_000,
            workers))
        .withKafka(new ServingConfig.Kafka(false, "127.0.0.1:9092", "vigil.predictions", "vigil.model-events", 1024));
  }

  private static ManagedChannel channel(int port) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create())
        .directExecutor().maxInboundMessageSize(64 * 1024 * 1024).build();
  }

  private ModelInferRequest typedRequest(float[] values, int n) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float f : values) {
      c.addFp32Contents(f);
    }
    return ModelInferRequest.newBuilder().setModelName(MODEL)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
            .addShape(n).addShape(features).setContents(c)).build();
  }

  private ModelInferRequest rawRequest(float[] values, int n) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return ModelInferRequest.newBuilder().setModelName(MODEL)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
            .addShape(n).addShape(features))
        .addRawInputContents(ByteString.copyFrom(b.array())).build();
  }

  private static String row(String name, Result r, String extra) {
    return String.format(Locale.ROOT, "%-78s %,10.0f %9.2f %9.2f  %s", name, r.rps(), r.p50Ms(), r.p99Ms(),
        extra + (r.failed() > 0 ? " (" + r.failed() + " failed)" : ""));
  }

  // ------------------------------------------------------------------ the load generator

  /** Latencies of one measurement; calls beyond the capacity still count, their latency is not kept. */
  private static final class Recorder {
    final long[] latencies;
    final AtomicInteger n = new AtomicInteger();
    final AtomicLong answered = new AtomicLong();
    final AtomicLong failed = new AtomicLong();

    Recorder(int capacity) {
      latencies = new long[capacity];
    }

    void ok(long nanos) {
      answered.incrementAndGet();
      int i = n.getAndIncrement();
      if (i < latencies.length) {
        latencies[i] = nanos;
      }
    }

    Result result(double seconds) {
      int k = Math.min(n.get(), latencies.length);
      long[] l = Arrays.copyOf(latencies, k);
      Arrays.sort(l);
      double p50 = k == 0 ? 0 : l[(int) (k * 0.50)] / 1e6;
      double p99 = k == 0 ? 0 : l[Math.min(k - 1, (int) (k * 0.99))] / 1e6;
      return new Result(answered.get() / seconds, p50, p99, answered.get(), failed.get());
    }
  }

  /**
   * Closed loop: {@code clients} callers, each sending its next call as soon as the last one is
   * answered, for {@code seconds}.
   */
  static Result closedLoop(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub,
      IntFunction<ModelInferRequest> requests, int clients, double seconds) throws InterruptedException {
    Recorder rec = new Recorder(4_000_000);
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    CountDownLatch done = new CountDownLatch(clients);
    AtomicInteger seq = new AtomicInteger();
    for (int c = 0; c < clients; c++) {
      new ClosedLoopClient(stub, requests, rec, end, done, seq).next();
    }
    if (!done.await((long) (seconds * 1e3) + 30_000, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("closed-loop clients did not finish");
    }
    return rec.result((System.nanoTime() - t0) / 1e9);
  }

  /** One closed-loop caller: the next call goes out from the answer's callback. */
  private static final class ClosedLoopClient implements StreamObserver<ModelInferResponse> {
    final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
    final IntFunction<ModelInferRequest> requests;
    final Recorder rec;
    final long end;
    final CountDownLatch done;
    final AtomicInteger seq;
    long sent;

    ClosedLoopClient(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub, IntFunction<ModelInferRequest> requests,
        Recorder rec, long end, CountDownLatch done, AtomicInteger seq) {
      this.stub = stub;
      this.requests = requests;
      this.rec = rec;
      this.end = end;
      this.done = done;
      this.seq = seq;
    }

    void next() {
      sent = System.nanoTime();
      if (sent >= end) {
        done.countDown();
        return;
      }
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(requests.apply(seq.getAndIncrement()), this);
    }

    @Override
    public void onNext(ModelInferResponse value) {
      rec.ok(System.nanoTime() - sent);
    }

    @Override
    public void onError(Throwable t) {
      rec.failed.incrementAndGet();
      next();
    }

    @Override
    public void onCompleted() {
      next();
    }
  }

  /**
   * Open loop: calls at {@code rate} per second on a fixed schedule for {@code seconds}, whatever
   * the answers do; each latency runs from the call's scheduled time.
   */
  static Result openLoop(GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub,
      IntFunction<ModelInferRequest> requests, double rate, double seconds) throws InterruptedException {
    long total = Math.max(1, (long) (rate * seconds));
    Recorder rec = new Recorder((int) Math.min(4_000_000, total));
    double interval = 1e9 / rate;
    CountDownLatch answered = new CountDownLatch((int) total);
    long t0 = System.nanoTime();
    for (long i = 0; i < total; i++) {
      long at = t0 + (long) (i * interval);
      // park rather than spin: the generator must not take a core from the server; a late wake-up
      // counts against the server (latency runs from the scheduled time)
      long wait;
      while ((wait = at - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(requests.apply((int) i),
          new StreamObserver<>() {
            @Override
            public void onNext(ModelInferResponse value) {
              rec.ok(System.nanoTime() - at);
            }

            @Override
            public void onError(Throwable t) {
              rec.failed.incrementAndGet();
              answered.countDown();
            }

            @Override
            public void onCompleted() {
              answered.countDown();
            }
          });
    }
    if (!answered.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("open-loop calls still unanswered after 60 s");
    }
    return rec.result((System.nanoTime() - t0) / 1e9);
  }

  /** The compute limit: the same batches straight through the pool's predictors, one thread each. */
  private Result inProcess(Path modelDir, List<FeatureBatch> batches, double warm, double seconds) throws Exception {
    try (ModelArtifact m = ModelArtifacts.load(modelDir)) {
      List<Predictor<FeatureBatch, ScoreBatch>> predictors = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        predictors.add(m.newPredictor());
      }
      ExecutorService pool = Executors.newFixedThreadPool(workers);
      try {
        runInProcess(pool, predictors, batches, warm);
        return runInProcess(pool, predictors, batches, seconds);
      } finally {
        pool.shutdownNow();
        predictors.forEach(Predictor::close);
      }
    }
  }

  private static Result runInProcess(ExecutorService pool, List<Predictor<FeatureBatch, ScoreBatch>> predictors,
      List<FeatureBatch> batches, double seconds) throws Exception {
    Recorder rec = new Recorder(1_000_000);
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < predictors.size(); t++) {
      Predictor<FeatureBatch, ScoreBatch> p = predictors.get(t);
      int offset = t;
      running.add(pool.submit(() -> {
        int i = offset;
        while (System.nanoTime() < end) {
          long s = System.nanoTime();
          p.predict(batches.get(i++ % batches.size()));
          rec.ok(System.nanoTime() - s);
        }
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    return rec.result((System.nanoTime() - t0) / 1e9);
  }

  // ------------------------------------------------------------------ the transport limit

  /**
   * The serving process's gRPC transport (same Netty settings, same bounded handler executor,
   * same message limits) with a ModelInfer that parses the request and returns a fixed answer of
   * the right shape without running a model: what the transport alone can do on this machine.
   */
  static final class TransportOnly implements AutoCloseable {
    final Server server;
    final ThreadPoolExecutor executor;

    private TransportOnly(Server server, ThreadPoolExecutor executor) {
      this.server = server;
      this.executor = executor;
    }

    static TransportOnly start(ServingConfig cfg, ModelInferResponse fixed) throws java.io.IOException {
      ThreadPoolExecutor executor = ServingServer.handlerExecutor(cfg.grpc());
      Server server = ServingServer.netty(cfg).executor(executor).maxInboundMessageSize(cfg.grpc().maxMessageBytes())
          .addService(new FixedAnswer(fixed)).build().start();
      return new TransportOnly(server, executor);
    }

    int port() {
      return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      executor.shutdownNow();
    }
  }

  /** ModelInfer answered with one prepared response (its id set from the request). */
  static final class FixedAnswer extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
    final ModelInferResponse fixed;

    FixedAnswer(ModelInferResponse fixed) {
      this.fixed = fixed;
    }

    @Override
    public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
      out.onNext(request.getId().isEmpty() ? fixed : fixed.toBuilder().setId(request.getId()).build());
      out.onCompleted();
    }
  }

  private static double round(double v) {
    return Math.round(v);
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
