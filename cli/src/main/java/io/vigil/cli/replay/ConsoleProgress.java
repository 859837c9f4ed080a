package io.vigil.cli.replay;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar on standard error for a replay. */
public final class ConsoleProgress implements Replayer.Progress, AutoCloseable {

  private final String task;
  private ProgressBar bar;

  public ConsoleProgress(String task) {
    this.task = task;
  }

  @Override
  public void started(long totalRecords) {
    bar = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(totalRecords)
        .setStyle(ProgressBarStyle.ASCII)
        .setUnit(" rec", 1)
        .showSpeed()
        .setUpdateIntervalMillis(500)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .build();
  }

  @Override
  public void advanced(long sentRecords) {
    if (bar != null) {
      bar.stepTo(sentRecords);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
