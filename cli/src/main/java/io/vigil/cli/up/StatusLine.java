package io.vigil.cli.up;

import static java.util.Objects.requireNonNull;

import io.vigil.cli.loop.LoopCounters;
import io.vigil.schemas.topics.VigilTopic;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The live counters of {@code vigil up}: samples, features, predictions, label requests, labels,
 * drift reports and the champion's version, printed every few seconds when something changed.
 */
final class StatusLine implements AutoCloseable {

  private static final long EVERY_MILLIS = 5_000;

  private final PrintWriter out;
  private final LoopCounters counters;
  private final LocalStack stack;
  private final String modelName;
  private final Thread thread;
  private volatile boolean running = true;
  private String last = "";

  StatusLine(PrintWriter out, LoopCounters counters, LocalStack stack, String modelName) {
    this.out = requireNonNull(out, "out");
    this.counters = requireNonNull(counters, "counters");
    this.stack = requireNonNull(stack, "stack");
    this.modelName = requireNonNull(modelName, "modelName");
    this.thread = new Thread(this::run, "vigil-status");
    this.thread.setDaemon(true);
  }

  StatusLine start() {
    thread.start();
    return this;
  }

  /** The current line: counts and the champion's version. */
  String line() {
    return String.format(Locale.ROOT,
        "samples %,d | features %,d | predictions %,d | label requests %,d | labels %,d | drift reports %,d | %s",
        counters.count(VigilTopic.TELEMETRY), counters.count(VigilTopic.FEATURES),
        counters.count(VigilTopic.PREDICTIONS), counters.count(VigilTopic.LABEL_REQUESTS),
        counters.count(VigilTopic.LABELS), counters.count(VigilTopic.DRIFT), champion());
  }

  private String champion() {
    if (stack.registryUrl() == null) {
      return "no registry";
    }
    try {
      return stack.registryClient().byAlias(modelName, "champion")
          .map(v -> modelName + " v" + v.version() + " (champion)").orElse("no champion yet");
    } catch (RuntimeException e) {
      return "registry unreachable";
    }
  }

  private void run() {
    while (running) {
      try {
        Thread.sleep(EVERY_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      String l = line();
      if (!l.equals(last)) {
        synchronized (out) {
          out.println("  " + l);
          out.flush();
        }
        last = l;
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
