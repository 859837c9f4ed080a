package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.vigil.embedded.junit.Await;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ScoreBatch;
import io.vigil.model.ScoringTranslator;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.ModelInferResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic batching with the real PyTorch engine: fewer model calls, same answers, bounded queue. */
class DynamicBatchingTest {

  @TempDir static Path dir;
  static final int COLS = TestRegistry.FEATURES.size();
  static final int N = 256;
  static LocalModelSource source;
  static ModelArtifact reference;

  @BeforeAll
  static void models() {
    source = new LocalModelSource(dir.resolve("models"));
    source.add("batched", "1", 21, "champion");
    reference = ModelArtifacts.load(dir.resolve("models/batched-1"));
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  /** N concurrent batch-1 calls; returns the scores and the number of model calls made. */
  static long serve(boolean batching, float[][] rows, float[] scores) throws Exception {
    String name = "batching-" + batching;
    ServingConfig cfg = TestServing.config("batched", dir.resolve("work-" + batching), batching)
        .withBatching(new ServingConfig.Batching(batching, 64, 5_000, 1_024, 1));
    try (ServingServer server = ServingServer.start(cfg, TestServing.inProcess(name, source, new RecordingSink()))) {
      java.util.concurrent.ExecutorService clientThreads = java.util.concurrent.Executors.newFixedThreadPool(8);
      ManagedChannel ch = InProcessChannelBuilder.forName(name).executor(clientThreads).build();
      try {
        var stub = GRPCInferenceServiceGrpc.newFutureStub(ch);
        long before = server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher().modelCalls();
        List<ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
        for (float[] row : rows) {
          calls.add(stub.modelInfer(Requests.typed("batched", row, 1, COLS)));
        }
        for (int i = 0; i < rows.length; i++) {
          scores[i] = Requests.output(calls.get(i).get(30, TimeUnit.SECONDS), "score")[0];
        }
        return server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher().modelCalls() - before;
      } finally {
        ch.shutdownNow();
        clientThreads.shutdownNow();
      }
    }
  }

  @Test
  void concurrentSingleRowRequestsAreServedInFarFewerModelCallsWithTheSameAnswers() throws Exception {
    float[][] rows = new float[N][];
    for (int i = 0; i < N; i++) {
      rows[i] = Requests.rows(1, COLS, 1000 + i);
    }
    float[] batched = new float[N];
    float[] unbatched = new float[N];
    long batchedCalls = serve(true, rows, batched);
    long unbatchedCalls = serve(false, rows, unbatched);

    assertThat(unbatchedCalls).isEqualTo(N);
    assertThat(batchedCalls).as("model calls for %d concurrent batch-1 requests", N).isLessThanOrEqualTo(N / 4);
    assertThat(batched).containsExactly(unbatched, Offset.offset(1e-5f));
    try (Predictor<FeatureBatch, ScoreBatch> p = reference.newPredictor()) {
      for (int i = 0; i < N; i += 37) {
        assertThat(batched[i]).isCloseTo(p.predict(new FeatureBatch(rows[i], 1, COLS)).scores()[0], Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void closingTheServerLetsTheRequestsInFlightFinish() throws Exception {
    ServingConfig cfg = TestServing.config("batched", dir.resolve("work-close"), true)
        .withBatching(new ServingConfig.Batching(true, 8, 1_000, 1_024, 1));
    ServingServer server = ServingServer.start(cfg, TestServing.inProcess("closing", source, new RecordingSink()));
    ManagedChannel ch = InProcessChannelBuilder.forName("closing").build();
    try {
      var stub = GRPCInferenceServiceGrpc.newFutureStub(ch);
      LoadedModel model = server.models().current(ModelManager.Role.PRIMARY).orElseThrow();
      List<ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(stub.modelInfer(Requests.typed("batched", Requests.rows(1, COLS, i), 1, COLS)));
      }
      Await.until(Duration.ofSeconds(10), "every request to reach the server",
          () -> model.inFlight() + calls.stream().filter(java.util.concurrent.Future::isDone).count() == calls.size());
      server.close();
      for (ListenableFuture<ModelInferResponse> c : calls) {
        assertThat(c.get(10, TimeUnit.SECONDS).getModelVersion()).isEqualTo("1");
      }
      assertThat(model.inFlight()).isZero();
    } finally {
      ch.shutdownNow();
      server.close();
    }
  }

  /** A translator that holds every model call until released (to fill the queue deterministically). */
  static final class HeldTranslator implements NoBatchifyTranslator<FeatureBatch, ScoreBatch> {
    final CountDownLatch release = new CountDownLatch(1);
    final ScoringTranslator inner;

    HeldTranslator(ScoringTranslator inner) {
      this.inner = inner;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, FeatureBatch input) throws Exception {
      release.await(30, TimeUnit.SECONDS);
      return inner.processInput(ctx, input);
    }

    @Override
    public ScoreBatch processOutput(TranslatorContext ctx, NDList list) {
      return inner.processOutput(ctx, list);
    }
  }

  @Test
  void aFullQueueIsResourceExhaustedAndExpiredRequestsAreNotRun() throws Exception {
    HeldTranslator held = new HeldTranslator(new ScoringTranslator(reference.spec()));
    DynamicBatcher.Settings s = new DynamicBatcher.Settings(true, 8, Duration.ZERO, 2, 1);
    try (DynamicBatcher b = new DynamicBatcher("held", s, COLS,
        () -> reference.model().newPredictor(held), DynamicBatcher.Listener.NONE)) {
      FeatureBatch row = new FeatureBatch(Requests.rows(1, COLS, 1), 1, COLS);
      CompletableFuture<ScoreBatch> first = b.submit(row, Long.MAX_VALUE, () -> false);
      Await.until(Duration.ofSeconds(5), "the first request to be taken", () -> b.queuedRequests() == 0);
      long deadline = System.nanoTime() + 1_000_000;
      // the only worker is busy: nothing takes requests out of the queue (capacity 2) until it is free
      CompletableFuture<ScoreBatch> expired = b.submit(row, deadline, () -> false);
      CompletableFuture<ScoreBatch> waiting = b.submit(row, Long.MAX_VALUE, () -> false);
      assertThat(b.queuedRequests()).isEqualTo(2);
      assertThatThrownBy(() -> b.submit(row, Long.MAX_VALUE, () -> false))
          .isInstanceOfSatisfying(ServingException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
            assertThat(e.getMessage()).contains("queue is full");
          });
      Await.until(Duration.ofSeconds(5), "the deadline to pass", () -> System.nanoTime() - deadline > 0);
      held.release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).rows()).isEqualTo(1);
      assertThat(waiting.get(10, TimeUnit.SECONDS).rows()).isEqualTo(1);
      assertThatThrownBy(() -> expired.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(ServingException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED));
      assertThat(b.modelCalls()).isEqualTo(2);
    }
  }

  @Test
  void aBatchHasAttributionsWhenOneOfItsRequestsWantsThemAndNoneOtherwise() throws Exception {
    HeldTranslator held = new HeldTranslator(new ScoringTranslator(reference.spec()));
    DynamicBatcher.Settings s = new DynamicBatcher.Settings(true, 8, Duration.ofMillis(50), 16, 1);
    try (DynamicBatcher b = new DynamicBatcher("attributions", s, COLS,
        () -> reference.model().newPredictor(held), DynamicBatcher.Listener.NONE)) {
      float[] v = Requests.rows(1, COLS, 4);
      CompletableFuture<ScoreBatch> first = b.submit(new FeatureBatch(v, 1, COLS, false), Long.MAX_VALUE, () -> false);
      Await.until(Duration.ofSeconds(5), "the first request to be taken", () -> b.queuedRequests() == 0);
      // queued behind the held call, so scored together in the next batch
      CompletableFuture<ScoreBatch> lean = b.submit(new FeatureBatch(v, 1, COLS, false), Long.MAX_VALUE, () -> false);
      CompletableFuture<ScoreBatch> full = b.submit(new FeatureBatch(v, 1, COLS, true), Long.MAX_VALUE, () -> false);
      held.release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).attributions()).as("a batch where nobody asked").isNull();
      ScoreBatch withThem = full.get(10, TimeUnit.SECONDS);
      assertThat(withThem.attributions()).hasSize(COLS);
      assertThat(lean.get(10, TimeUnit.SECONDS).scores()).containsExactly(withThem.scores());
      assertThat(first.get().scores()).containsExactly(withThem.scores());
      assertThat(b.modelCalls()).isEqualTo(2);
    }
  }

  @Test
  void aRequestCancelledWhileQueuedIsDroppedBeforeTheModelRuns() throws Exception {
    HeldTranslator held = new HeldTranslator(new ScoringTranslator(reference.spec()));
    DynamicBatcher.Settings s = new DynamicBatcher.Settings(true, 8, Duration.ZERO, 16, 1);
    java.util.concurrent.atomic.AtomicInteger droppedEvents = new java.util.concurrent.atomic.AtomicInteger();
    DynamicBatcher.Listener listener = new DynamicBatcher.Listener() {
      @Override
      public void modelCall(int rows, long nanos) {}

      @Override
      public void rejected() {}

      @Override
      public void dropped() {
        droppedEvents.incrementAndGet();
      }
    };
    try (DynamicBatcher b = new DynamicBatcher("cancel", s, COLS,
        () -> reference.model().newPredictor(held), listener)) {
      FeatureBatch row = new FeatureBatch(Requests.rows(1, COLS, 2), 1, COLS);
      CompletableFuture<ScoreBatch> first = b.submit(row, Long.MAX_VALUE, () -> false);
      Await.until(Duration.ofSeconds(5), "the first request to be taken", () -> b.queuedRequests() == 0);
      java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
      CompletableFuture<ScoreBatch> cancelled = b.submit(row, Long.MAX_VALUE, gone::get);
      CompletableFuture<ScoreBatch> kept = b.submit(row, Long.MAX_VALUE, () -> false);
      gone.set(true); // the caller goes away while its request waits behind the busy predictor
      held.release.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).rows()).isEqualTo(1);
      assertThat(kept.get(10, TimeUnit.SECONDS).rows()).isEqualTo(1);
      assertThatThrownBy(() -> cancelled.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(ServingException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
      assertThat(b.rowsScored()).as("rows that reached the model").isEqualTo(2);
      assertThat(b.droppedBeforeRunning()).isEqualTo(1);
      assertThat(droppedEvents.get()).isEqualTo(1);
    }
  }
}
