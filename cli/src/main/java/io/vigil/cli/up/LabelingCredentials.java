package io.vigil.cli.up;

import io.vigil.cli.UserException;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * The labeling UI's session secret and first passwords for a one-machine {@code vigil up}:
 * generated at random on the first start and kept, owner-readable only, for the next ones (the UI
 * refuses default or empty secrets).
 */
record LabelingCredentials(String sessionSecret, String adminPassword, String annotatorPassword) {

  private static final SecureRandom RANDOM = new SecureRandom();

  static LabelingCredentials loadOrCreate(Path file) {
    try {
      if (Files.isRegularFile(file)) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
          p.load(r);
        }
        return new LabelingCredentials(p.getProperty("sessionSecret"), p.getProperty("adminPassword"),
            p.getProperty("annotatorPassword"));
      }
      LabelingCredentials c = new LabelingCredentials(random(32), random(12), random(12));
      Files.createDirectories(file.getParent());
      Properties p = new Properties();
      p.setProperty("sessionSecret", c.sessionSecret());
      p.setProperty("adminPassword", c.adminPassword());
      p.setProperty("annotatorPassword", c.annotatorPassword());
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        p.store(w, "vigil up: labeling UI secrets, generated on first start");
      }
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException notPosix) {
        // non-POSIX file system: the file stays with the directory's permissions
      }
      return c;
    } catch (IOException e) {
      throw new UserException("cannot read or write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
