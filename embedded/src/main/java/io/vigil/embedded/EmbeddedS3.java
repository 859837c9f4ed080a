package io.vigil.embedded;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3-compatible server (s3proxy) over a local folder, in this JVM. Signature V2 and V4,
 * path-style addressing; one bucket per sub-folder of the data directory. Any S3 client (the MinIO
 * SDK, the AWS SDK, Flink's S3 file systems) talks to it through {@link #endpoint()} with {@link
 * #accessKey()} / {@link #secretKey()}.
 */
public final class EmbeddedS3 implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

  /** How to run the server. Port 0 means a free port; a null directory means a temporary one. */
  public record Settings(Path dataDir, String host, int port, String accessKey, String secretKey) {
    public Settings {
      host = host == null || host.isBlank() ? "127.0.0.1" : host;
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in 0..65535: " + port);
      }
      requireNonNull(accessKey, "accessKey");
      requireNonNull(secretKey, "secretKey");
      if (accessKey.isBlank() || secretKey.length() < 8) {
        throw new IllegalArgumentException(
            "S3 access key must be set and the secret key at least 8 characters");
      }
    }

    public static Settings ephemeral() {
      return new Settings(null, "127.0.0.1", 0, "vigil", "vigil-secret-key");
    }
  }

  private final Settings settings;
  private final Path dataDir;
  private final boolean ownsDir;
  private S3Proxy proxy;

  private EmbeddedS3(Settings settings, Path dataDir, boolean ownsDir) {
    this.settings = settings;
    this.dataDir = dataDir;
    this.ownsDir = ownsDir;
  }

  public static EmbeddedS3 start(Settings settings) {
    requireNonNull(settings, "settings");
    try {
      boolean owns = settings.dataDir() == null;
      Path dir =
          owns
              ? Files.createTempDirectory("vigil-s3-")
              : Files.createDirectories(settings.dataDir());
      EmbeddedS3 s3 = new EmbeddedS3(settings, dir, owns);
      s3.startServer();
      return s3;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the S3 data directory", e);
    }
  }

  public static EmbeddedS3 startEphemeral() {
    return start(Settings.ephemeral());
  }

  private synchronized void startServer() {
    long t0 = System.nanoTime();
    proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()))
            .endpoint(URI.create("http://" + settings.host() + ":" + settings.port()))
            .awsAuthentication(
                AuthenticationType.AWS_V2_OR_V4, settings.accessKey(), settings.secretKey())
            .ignoreUnknownHeaders(true)
            .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("s3proxy did not start: state " + proxy.getState());
        }
        Thread.onSpinWait();
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start s3proxy on port " + settings.port(), e);
    }
    LOG.info(
        "S3 server (s3proxy) ready at {} in {} ms, data in {}",
        endpoint(),
        (System.nanoTime() - t0) / 1_000_000,
        dataDir);
  }

  /** {@code http://host:port}, path-style. */
  public String endpoint() {
    return "http://" + settings.host() + ":" + proxy.getPort();
  }

  public int port() {
    return proxy.getPort();
  }

  public String accessKey() {
    return settings.accessKey();
  }

  public String secretKey() {
    return settings.secretKey();
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public synchronized void close() {
    if (proxy == null) {
      return;
    }
    S3Proxy p = proxy;
    proxy = null;
    try {
      p.stop();
      LOG.info("S3 server stopped");
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop s3proxy", e);
    } finally {
      if (ownsDir) {
        Directories.deleteRecursively(dataDir);
      }
    }
  }
}
