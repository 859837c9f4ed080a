package io.vigil.streamio;

import java.nio.file.Path;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;

/** What every Vigil job does before it builds its graph: read its command line, set its checkpoint storage. */
public final class JobSetup {

  private JobSetup() {}

  /** The {@code --config FILE} of a job's command line ({@code flink run}, the REST API), or null without one. */
  public static Path configFile(String[] args) {
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else {
        throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: [--config FILE]");
      }
    }
    return file;
  }

  /**
   * File-system checkpoint storage under {@code checkpointDir} ({@code file://} or {@code s3://}); for
   * S3, the endpoint and credentials when given (null or blank endpoint: the cluster's own settings).
   */
  public static Configuration checkpointStorage(String checkpointDir, String s3Endpoint, String s3AccessKey,
      String s3SecretKey, boolean s3PathStyle) {
    Configuration c = new Configuration();
    c.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
    c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpointDir);
    if (s3Endpoint != null && !s3Endpoint.isBlank()) {
      c.setString("s3.endpoint", s3Endpoint);
      c.setString("s3.access-key", s3AccessKey);
      c.setString("s3.secret-key", s3SecretKey);
      c.setString("s3.path.style.access", Boolean.toString(s3PathStyle));
    }
    return c;
  }
}
