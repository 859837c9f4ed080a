package io.vigil.cli.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One entity of a data directory in the SMD layout, copied on its own: the loop's test and benchmark data. */
public final class LoopData {

  private static final String[] PARTS = {"train", "test", "test_label", "interpretation_label"};

  private LoopData() {}

  /**
   * Copies {@code <part>/<entity>.txt} of every SMD part that has it, and {@code metric_names.txt},
   * from {@code source} to {@code target}.
   */
  public static Path oneEntity(Path source, String entity, Path target) {
    try {
      for (String part : PARTS) {
        Path f = source.resolve(part).resolve(entity + ".txt");
        if (Files.isRegularFile(f)) {
          Files.createDirectories(target.resolve(part));
          Files.copy(f, target.resolve(part).resolve(entity + ".txt"));
        }
      }
      if (!Files.isRegularFile(target.resolve("train").resolve(entity + ".txt"))) {
        throw new IllegalArgumentException(source + " has no train/" + entity + ".txt");
      }
      Path names = source.resolve("metric_names.txt");
      if (Files.isRegularFile(names)) {
        Files.copy(names, target.resolve("metric_names.txt"));
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + entity + " of " + source + " to " + target, e);
    }
  }
}
