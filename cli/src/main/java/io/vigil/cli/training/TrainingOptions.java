package io.vigil.cli.training;

import io.vigil.cli.UserException;
import io.vigil.datasets.DatasetFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Checks shared by {@code train} and {@code eval}. */
final class TrainingOptions {

  private TrainingOptions() {}

  static void checkData(Path data, String format) {
    if (!Files.isDirectory(data)) {
      throw new UserException("no data directory " + data);
    }
    DatasetFormat detected = DatasetFormat.detect(data);
    if (format != null) {
      DatasetFormat wanted;
      try {
        wanted = DatasetFormat.valueOf(format.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new UserException("--format must be smd, jumpstarter or nab, not " + format);
      }
      if (wanted != detected) {
        throw new UserException(data + " is laid out as " + detected.name().toLowerCase(Locale.ROOT)
            + ", not " + format);
      }
    }
  }
}
