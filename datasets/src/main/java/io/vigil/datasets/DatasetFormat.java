package io.vigil.datasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The directory layouts Vigil reads (see DESIGN §6 and the data README). */
public enum DatasetFormat {
  /**
   * Server Machine Dataset layout: {@code train/}, {@code test/}, {@code test_label/}, {@code
   * interpretation_label/} with one {@code ENTITY.txt} per entity, CSV rows without header or
   * timestamps; optional {@code metric_names.txt}.
   */
  SMD,
  /**
   * JumpStarter layout: {@code train/}, {@code test/}, {@code test_label/} with one {@code
   * ENTITY.csv} per entity, rows without header or timestamps.
   */
  JUMPSTARTER,
  /** NAB: {@code timestamp,value} CSVs anywhere below the folder, labels in {@code labels/}. */
  NAB;

  /** Recognises the layout of {@code dir}, or explains why none fits. */
  public static DatasetFormat detect(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(dir + ": not a directory");
    }
    for (String part : new String[] {"train", "test"}) {
      Path p = dir.resolve(part);
      if (Files.isDirectory(p)) {
        if (hasFiles(p, ".txt")) {
          return SMD;
        }
        if (hasFiles(p, ".csv")) {
          return JUMPSTARTER;
        }
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      if (files.anyMatch(f -> f.toString().endsWith(".csv") && Files.isRegularFile(f))) {
        return NAB;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new DatasetException(
        dir + ": no dataset here: expected train/ or test/ folders of .txt (SMD) or .csv"
            + " (JumpStarter) files, or timestamp,value .csv files (NAB)");
  }

  private static boolean hasFiles(Path dir, String suffix) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(suffix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
