package io.vigil.registry.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The checksum of a model's artifacts: SHA-256 over a manifest of {@code "<sha256 of file>  <relative
 * path>\n"} lines sorted by path (the output of {@code sha256sum} over the sorted files). One file or
 * a directory tree, in S3 or on disk, hashes the same.
 */
public final class ArtifactChecksum {

  /** The model-version tag that holds the checksum. */
  public static final String TAG = "vigil.artifacts.sha256";

  private ArtifactChecksum() {}

  public static String ofFileDigests(Map<String, String> sha256ByRelativePath) {
    StringBuilder manifest = new StringBuilder();
    new TreeMap<>(sha256ByRelativePath).forEach((path, sha) ->
        manifest.append(sha).append("  ").append(path).append('\n'));
    return hex(sha256().digest(manifest.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** The checksum of every regular file under {@code dir}. */
  public static String ofDirectory(Path dir) {
    Map<String, String> digests = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> regular = files.filter(Files::isRegularFile).toList();
      for (Path f : regular) {
        try (InputStream in = Files.newInputStream(f)) {
          digests.put(dir.relativize(f).toString().replace('\\', '/'), sha256(in));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + dir, e);
    }
    return ofFileDigests(digests);
  }

  public static String sha256(InputStream in) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
    }
    return hex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
