package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelSpec;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A model version in memory with its batcher. Requests {@link #tryAcquire()} it before they queue
 * and {@link #release()} it when answered; {@link #retire} waits for those in flight and then
 * unloads it, and from then on {@code tryAcquire} fails, so a request that read the old reference
 * just before a swap simply tries again with the new one.
 */
public final class LoadedModel {

  private final ModelId id;
  private final ModelArtifact artifact;
  private final DynamicBatcher batcher;
  private final Path directory;
  private final InferAnswer.Template answerTemplate;
  private int inFlight;
  private boolean retired;

  public LoadedModel(ModelId id, ModelArtifact artifact, DynamicBatcher batcher, Path directory) {
    this.id = requireNonNull(id, "id");
    this.artifact = requireNonNull(artifact, "artifact");
    this.batcher = requireNonNull(batcher, "batcher");
    this.directory = directory;
    this.answerTemplate = new InferAnswer.Template(id, artifact.spec());
  }

  /** What every answer of this version shares, encoded once. */
  InferAnswer.Template answerTemplate() {
    return answerTemplate;
  }

  public ModelId id() {
    return id;
  }

  public ModelSpec spec() {
    return artifact.spec();
  }

  public DynamicBatcher batcher() {
    return batcher;
  }

  public Path directory() {
    return directory;
  }

  /** Marks one more request in flight, unless the model is retired. */
  public synchronized boolean tryAcquire() {
    if (retired) {
      return false;
    }
    inFlight++;
    return true;
  }

  public synchronized void release() {
    inFlight--;
    if (inFlight == 0) {
      notifyAll();
    }
  }

  public synchronized int inFlight() {
    return inFlight;
  }

  /**
   * Refuses new requests, waits (at most {@code drain}) for those in flight, then closes the
   * batcher and frees the model's native memory.
   *
   * @return true when every in-flight request finished within {@code drain}
   */
  public boolean retire(Duration drain) {
    boolean drained;
    synchronized (this) {
      retired = true;
      long until = System.nanoTime() + drain.toNanos();
      while (inFlight > 0) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      drained = inFlight == 0;
    }
    batcher.close(drain);
    artifact.close();
    return drained;
  }

  @Override
  public String toString() {
    return id.toString();
  }
}
