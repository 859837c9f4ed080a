package io.vigil.datasets;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared real data sets are (../shared/data from the repository root). */
final class TestData {

  private TestData() {}

  static Path dir(String name) {
    String base = System.getProperty("vigil.data.dir", "../../shared/data");
    Path p = Path.of(base).resolve(name).normalize();
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException("shared data set not found at " + p.toAbsolutePath());
    }
    return p;
  }
}
