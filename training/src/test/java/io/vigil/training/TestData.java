package io.vigil.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small slices of the real SMD data in {@code ../shared/data} for tests. */
public final class TestData {

  private TestData() {}

  public static Path smdRoot() {
    Path p = Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve("smd");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("SMD data not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /** A data set of {@code ../shared/data} by name ({@code nab/data/realKnownCause}, {@code jumpstarter-d2}). */
  public static Path shared(String name) {
    Path p = Path.of(System.getProperty("vigil.data.dir", "../../shared/data")).resolve(name);
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("shared data set not found at " + p.toAbsolutePath());
    }
    return p;
  }

  /**
   * Copies the first {@code trainRows} train rows and {@code testRows} test rows (with their labels
   * and the interpretation segments that end inside the slice) of {@code machine} into {@code dir},
   * in the SMD layout.
   */
  public static Path smdSlice(Path dir, String machine, int trainRows, int testRows) {
    Path src = smdRoot();
    try {
      for (String part : new String[] {"train", "test", "test_label", "interpretation_label"}) {
        Files.createDirectories(dir.resolve(part));
      }
      Files.copy(src.resolve("metric_names.txt"), dir.resolve("metric_names.txt"));
      head(src.resolve("train").resolve(machine + ".txt"), dir.resolve("train").resolve(machine + ".txt"), trainRows);
      head(src.resolve("test").resolve(machine + ".txt"), dir.resolve("test").resolve(machine + ".txt"), testRows);
      head(src.resolve("test_label").resolve(machine + ".txt"),
          dir.resolve("test_label").resolve(machine + ".txt"), testRows);
      List<String> segments = new ArrayList<>();
      for (String line : Files.readAllLines(src.resolve("interpretation_label").resolve(machine + ".txt"))) {
        if (line.isBlank()) {
          continue;
        }
        int end = Integer.parseInt(line.substring(line.indexOf('-') + 1, line.indexOf(':')).trim());
        if (end <= testRows) {
          segments.add(line);
        }
      }
      Files.write(dir.resolve("interpretation_label").resolve(machine + ".txt"), segments);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The whole series (train then test rows) of one entity of an SMD directory. */
  public static io.vigil.datasets.EntitySeries seriesOf(Path dir, String entity) {
    return io.vigil.datasets.Dataset.open(dir, io.vigil.datasets.DatasetOptions.defaults()
        .withSplit(io.vigil.datasets.Split.ALL).withEntities(java.util.Set.of(entity))).entities().get(0);
  }

  private static void head(Path from, Path to, int rows) throws IOException {
    try (var lines = Files.lines(from)) {
      Files.write(to, lines.limit(rows).toList());
    }
  }
}
