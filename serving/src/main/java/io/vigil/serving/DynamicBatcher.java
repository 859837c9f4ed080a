package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import ai.djl.inference.Predictor;
import ai.djl.translate.TranslateException;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ScoreBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching over a pool of DJL predictors.
 *
 * <p>Requests wait in a bounded queue ({@link #submit} fails with {@link
 * ErrorCode#RESOURCE_EXHAUSTED} when it is full). One worker at a time (the one holding the
 * gathering lock) takes the first waiting request, waits until a predictor is free, and gathers
 * more requests until {@code maxQueueDelay}
 * after the first was taken, until {@code maxBatchSize} rows, or until no other batch is being
 * scored (waiting then would only leave the engine idle); the rows go to the model as one tensor,
 * and each request gets its own rows back. While every predictor is busy, requests pile up, so the
 * next batch is larger:
 * under load the batch size adapts by itself. With batching off every request is its own model
 * call. Requests whose deadline has passed or whose caller went away are answered without running.
 *
 * <p>The worker that gathered a batch scores it itself and the next free worker gathers the next
 * one (leader/followers): a request wakes one thread on its way to the model, not a dispatcher and
 * then a worker. Each worker borrows a predictor from the pool for one call: DJL predictors are
 * not thread-safe, and there are exactly as many as workers.
 */
public final class DynamicBatcher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

  /** Batching settings of one model. */
  public record Settings(boolean enabled, int maxBatchSize, Duration maxQueueDelay,
      int queueCapacity, int workers) {
    public Settings {
      requireNonNull(maxQueueDelay, "maxQueueDelay");
      if (maxBatchSize < 1 || queueCapacity < 1 || workers < 1) {
        throw new IllegalArgumentException("maxBatchSize, queueCapacity and workers must be >= 1");
      }
    }

    public static Settings of(ServingConfig.Batching b) {
      return new Settings(b.enabled(), b.maxBatchSize(), Duration.ofNanos(b.maxQueueDelayMicros() * 1000L),
          b.queueCapacity(), b.workers());
    }
  }

  /** What the batcher reports: model calls, rows per call, queue rejections. */
  public interface Listener {
    void modelCall(int rows, long nanos);

    void rejected();

    /** A queued request was not run: its caller cancelled or its deadline passed. */
    default void dropped() {}

    Listener NONE = new Listener() {
      @Override
      public void modelCall(int rows, long nanos) {}

      @Override
      public void rejected() {}
    };
  }

  /**
   * Told the outcome of one queued request, on the worker that scored it: either the batch's
   * answers and which of its rows are this request's, or why it was not scored. Handing over the
   * whole batch saves copying each request's rows out of it.
   */
  interface Completion {
    /** Rows {@code [from, from + n)} of {@code all} are this request's. */
    void scored(ScoreBatch all, int from, int n);

    void failed(ServingException error);
  }

  private final String name;
  private final Settings settings;
  private final int cols;
  private final BlockingQueue<Pending> queue;
  private final BlockingQueue<Predictor<FeatureBatch, ScoreBatch>> predictors;
  private final Semaphore freeWorkers;
  private final Thread[] workers;
  /** Held by the worker that takes and gathers the next batch. */
  private final ReentrantLock gatheringLock = new ReentrantLock();
  /** A request taken from the queue that did not fit into the last batch (guarded by the lock). */
  private Pending carry;
  private final Listener listener;
  private final AtomicLong modelCalls = new AtomicLong();
  private final AtomicLong rowsScored = new AtomicLong();
  private final AtomicLong modelNanos = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicInteger queuedRows = new AtomicInteger();
  /** Batches being scored right now. */
  private final AtomicInteger running = new AtomicInteger();
  private volatile boolean closing;
  /** True while {@link #gatherer} sleeps waiting for {@link #rowsWanted} more rows. */
  private volatile boolean gathering;
  private volatile Thread gatherer;
  private volatile int rowsWanted = Integer.MAX_VALUE;

  public DynamicBatcher(String name, Settings settings, int cols,
      Supplier<Predictor<FeatureBatch, ScoreBatch>> predictorFactory, Listener listener) {
    this.name = requireNonNull(name, "name");
    this.settings = requireNonNull(settings, "settings");
    this.cols = cols;
    this.listener = requireNonNull(listener, "listener");
    this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    this.predictors = new ArrayBlockingQueue<>(settings.workers());
    for (int i = 0; i < settings.workers(); i++) {
      predictors.add(predictorFactory.get());
    }
    this.freeWorkers = new Semaphore(settings.workers());
    this.workers = new Thread[settings.workers()];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Thread(this::work, "batch-" + name + "-" + (i + 1));
      workers[i].setDaemon(true);
      workers[i].start();
    }
  }

  /**
   * Queues a request's rows; the future completes with that request's scores, or fails with a
   * {@link ServingException}.
   *
   * @param deadlineNanos {@link System#nanoTime()} after which the caller no longer waits, or
   *     {@link Long#MAX_VALUE}
   * @param cancelled true once the caller has gone away
   */
  public CompletableFuture<ScoreBatch> submit(FeatureBatch rows, long deadlineNanos,
      BooleanSupplier cancelled) {
    CompletableFuture<ScoreBatch> result = new CompletableFuture<>();
    submit(rows, deadlineNanos, cancelled, new Completion() {
      @Override
      public void scored(ScoreBatch all, int from, int n) {
        result.complete(from == 0 && n == all.rows() ? all : all.slice(from, n));
      }

      @Override
      public void failed(ServingException error) {
        result.completeExceptionally(error);
      }
    });
    return result;
  }

  /**
   * Queues a request's rows; {@code done} is told the outcome exactly once, on a batcher thread
   * (or, for a refused request, not at all: the exception is thrown here).
   */
  void submit(FeatureBatch rows, long deadlineNanos, BooleanSupplier cancelled, Completion done) {
    if (rows.cols() != cols) {
      throw ServingException.invalid("the model takes " + cols + " features per row");
    }
    if (rows.rows() > settings.maxBatchSize()) {
      throw ServingException.invalid("a request may hold at most " + settings.maxBatchSize() + " rows");
    }
    if (closing) {
      throw new ServingException(ErrorCode.UNAVAILABLE, "the model is being unloaded; retry");
    }
    Pending p = new Pending(rows, deadlineNanos, cancelled, requireNonNull(done, "done"));
    if (!queue.offer(p)) {
      listener.rejected();
      throw new ServingException(ErrorCode.RESOURCE_EXHAUSTED,
          "the inference queue is full (" + settings.queueCapacity() + " requests); retry with backoff");
    }
    if (queuedRows.addAndGet(rows.rows()) >= rowsWanted && gathering) {
      wakeGatherer();
    }
  }

  /** Scores rows directly on one pooled predictor, bypassing the queue (warm-up, tests). */
  public ScoreBatch scoreNow(FeatureBatch rows) throws TranslateException, InterruptedException {
    freeWorkers.acquire();
    Predictor<FeatureBatch, ScoreBatch> p = predictors.take();
    try {
      return p.predict(rows);
    } finally {
      predictors.add(p);
      freeWorkers.release();
    }
  }

  /** Model calls made so far (each is one tensor through the model). */
  public long modelCalls() {
    return modelCalls.get();
  }

  public long rowsScored() {
    return rowsScored.get();
  }

  /** Time spent in model calls so far, summed over the workers (nanoseconds). */
  public long modelNanos() {
    return modelNanos.get();
  }

  /** Queued requests answered without running because they were cancelled or past their deadline. */
  public long droppedBeforeRunning() {
    return dropped.get();
  }

  public int queuedRequests() {
    return queue.size();
  }

  public Settings settings() {
    return settings;
  }

  /** One worker: gather a batch, score it, again, until the batcher closes. */
  private void work() {
    try {
      while (true) {
        List<Pending> batch = next();
        if (batch == null) {
          return;
        }
        if (!batch.isEmpty()) {
          run(batch);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Under the gathering lock: the next batch (its worker permit held and counted as running), an
   * empty list when every request taken had expired, or null once closing with nothing queued.
   */
  private List<Pending> next() throws InterruptedException {
    gatheringLock.lockInterruptibly();
    List<Pending> batch = new ArrayList<>();
    boolean permit = false;
    try {
      Pending first = carry;
      carry = null;
      while (first == null) {
        first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first == null && closing && queue.isEmpty()) {
          return null;
        }
      }
      long until = System.nanoTime() + settings.maxQueueDelay().toNanos();
      int rows = add(batch, first, 0);
      // while every predictor is busy (scoreNow), more requests queue up behind the first
      freeWorkers.acquire();
      permit = true;
      if (settings.enabled()) {
        int max = settings.maxBatchSize();
        while (true) {
          // take what is waiting, then sleep until the batch could be full or the delay is over:
          // one wake-up per batch rather than one per arriving request
          Pending next;
          while (rows < max && carry == null && (next = queue.poll()) != null) {
            if (rows + next.rows.rows() > max) {
              carry = next;
            } else {
              rows = add(batch, next, rows);
            }
          }
          long wait = until - System.nanoTime();
          // stop gathering when the batch is full, the delay is over, or no other batch is being
          // scored: then waiting would only leave the engine idle
          if (rows >= max || carry != null || wait <= 0 || running.get() == 0) {
            break;
          }
          rowsWanted = max - rows;
          gatherer = Thread.currentThread();
          gathering = true;
          if (queuedRows.get() < rowsWanted && running.get() > 0) {
            LockSupport.parkNanos(this, wait);
          }
          gathering = false;
          if (Thread.interrupted()) {
            throw new InterruptedException("batcher stopped");
          }
        }
      }
      List<Pending> live = dropExpired(batch);
      if (live.isEmpty()) {
        freeWorkers.release();
      } else {
        running.incrementAndGet();
      }
      permit = false;
      return live;
    } catch (InterruptedException e) {
      if (permit) {
        freeWorkers.release();
      }
      if (carry != null) {
        batch.add(carry);
        carry = null;
      }
      failAll(batch);
      throw e;
    } finally {
      gathering = false;
      gatheringLock.unlock();
    }
  }

  private void wakeGatherer() {
    Thread g = gatherer;
    if (g != null) {
      LockSupport.unpark(g);
    }
  }

  private int add(List<Pending> batch, Pending p, int rows) {
    batch.add(p);
    queuedRows.addAndGet(-p.rows.rows());
    return rows + p.rows.rows();
  }

  private List<Pending> dropExpired(List<Pending> batch) {
    long now = System.nanoTime();
    List<Pending> live = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      if (p.cancelled.getAsBoolean()) {
        p.fail(new ServingException(ErrorCode.CANCELLED, "the call was cancelled before it ran"));
      } else if (now - p.deadlineNanos > 0 && p.deadlineNanos != Long.MAX_VALUE) {
        p.fail(new ServingException(ErrorCode.DEADLINE_EXCEEDED,
            "the deadline passed while the request was queued"));
      } else {
        live.add(p);
        continue;
      }
      dropped.incrementAndGet();
      listener.dropped();
    }
    return live;
  }

  private void run(List<Pending> batch) {
    Predictor<FeatureBatch, ScoreBatch> predictor = predictors.poll();
    boolean released = false;
    try {
      if (predictor == null) {
        throw new IllegalStateException("no free predictor although a worker permit was held");
      }
      int rows = 0;
      boolean attributions = false;
      for (Pending p : batch) {
        rows += p.rows.rows();
        attributions |= p.rows.attributions();
      }
      FeatureBatch input;
      if (batch.size() == 1) {
        input = batch.get(0).rows;
      } else {
        float[] values = new float[rows * cols];
        int at = 0;
        for (Pending p : batch) {
          System.arraycopy(p.rows.values(), 0, values, at, p.rows.values().length);
          at += p.rows.values().length;
        }
        // attributions when any request of the batch wants them
        input = new FeatureBatch(values, rows, cols, attributions);
      }
      long t0 = System.nanoTime();
      ScoreBatch out;
      try {
        out = predictor.predict(input);
      } finally {
        // the answers are the translator's fresh arrays: the predictor, and the turn to score, go to
        // the next batch now, while this worker writes the answers
        release(predictor);
        released = true;
      }
      long took = System.nanoTime() - t0;
      modelCalls.incrementAndGet();
      rowsScored.addAndGet(rows);
      modelNanos.addAndGet(took);
      listener.modelCall(rows, took);
      int row = 0;
      for (Pending p : batch) {
        p.scored(out, row);
        row += p.rows.rows();
      }
    } catch (TranslateException | RuntimeException e) {
      LOG.error("model call failed model={} requests={}", name, batch.size(), e);
      for (Pending p : batch) {
        p.fail(new ServingException(ErrorCode.INTERNAL, "the model failed to score the request"));
      }
    } finally {
      if (!released) {
        release(predictor);
      }
    }
  }

  /** Ends a batch's model call: its predictor back to the pool, its permit free, a waiting gatherer woken. */
  private void release(Predictor<FeatureBatch, ScoreBatch> predictor) {
    if (predictor != null) {
      predictors.add(predictor);
    }
    freeWorkers.release();
    running.decrementAndGet();
    if (gathering) {
      wakeGatherer();
    }
  }

  private void failAll(List<Pending> taken) {
    List<Pending> left = new ArrayList<>(taken);
    queue.drainTo(left);
    for (Pending p : left) {
      p.fail(new ServingException(ErrorCode.UNAVAILABLE, "the server is stopping; retry"));
    }
  }

  /**
   * Stops taking requests, lets the queued ones run (for at most {@code grace}), then closes the
   * predictors.
   */
  public void close(Duration grace) {
    closing = true;
    try {
      long until = System.nanoTime() + Math.max(1, grace.toMillis()) * 1_000_000L;
      for (Thread w : workers) {
        w.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      }
      for (Thread w : workers) {
        w.interrupt();
      }
      for (Thread w : workers) {
        w.join(1_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (Thread w : workers) {
        w.interrupt();
      }
    }
    failAll(List.of());
    List<Predictor<FeatureBatch, ScoreBatch>> all = new ArrayList<>();
    predictors.drainTo(all);
    all.forEach(Predictor::close);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  private record Pending(FeatureBatch rows, long deadlineNanos, BooleanSupplier cancelled,
      Completion done) {

    /** Answers this request from the batch; a failing answer never stops the others. */
    void scored(ScoreBatch all, int from) {
      try {
        done.scored(all, from, rows.rows());
      } catch (RuntimeException e) {
        LOG.error("answering a scored request failed", e);
      }
    }

    void fail(ServingException error) {
      try {
        done.failed(error);
      } catch (RuntimeException e) {
        LOG.error("answering a failed request failed", e);
      }
    }
  }
}
