package io.vigil.cli;

import io.vigil.cli.flink.FlinkRestClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vigil submit JOB}: a Vigil Flink job to any Flink cluster, through its REST API. */
@Command(name = "submit", mixinStandardHelpOptions = true,
    description = "Submit a Vigil Flink job (feature-pipeline, scoring, drift-monitor, label-requests) to a Flink cluster through its REST API.")
public final class SubmitCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(SubmitCommand.class);

  /** The jobs this command knows: jar location under VIGIL_HOME and entry class. */
  enum Job {
    FEATURE_PIPELINE("feature-pipeline", "feature-pipeline/target/vigil-feature-pipeline-0.1.0-SNAPSHOT-job.jar",
        "io.vigil.pipeline.FeatureJob"),
    SCORING("scoring", "feature-pipeline/target/vigil-feature-pipeline-0.1.0-SNAPSHOT-job.jar",
        "io.vigil.pipeline.scoring.ScoringJob"),
    DRIFT_MONITOR("drift-monitor", "drift-monitor/target/vigil-drift-monitor-0.1.0-SNAPSHOT-job.jar",
        "io.vigil.drift.DriftJob"),
    LABEL_REQUESTS("label-requests", "drift-monitor/target/vigil-drift-monitor-0.1.0-SNAPSHOT-job.jar",
        "io.vigil.drift.requests.LabelRequestJob");

    final String cliName;
    final String jar;
    final String entryClass;

    Job(String cliName, String jar, String entryClass) {
      this.cliName = cliName;
      this.jar = jar;
      this.entryClass = entryClass;
    }

    static Job named(String name) {
      for (Job j : values()) {
        if (j.cliName.equals(name)) {
          return j;
        }
      }
      throw new IllegalArgumentException("unknown job '" + name + "'; known: " + String.join(", ",
          java.util.Arrays.stream(values()).map(j -> j.cliName).toList()));
    }
  }

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "JOB", description = "feature-pipeline, scoring, drift-monitor or label-requests")
  String job;

  @Option(names = "--jobmanager", paramLabel = "URL", defaultValue = "http://127.0.0.1:8081",
      description = "Flink REST endpoint (default ${DEFAULT-VALUE}).")
  URI jobManager;

  @Option(names = "--job-config", paramLabel = "FILE",
      description = "The job's YAML configuration, as a path the JobManager can read.")
  Path jobConfig;

  @Option(names = "--jar", paramLabel = "FILE", description = "Job jar (default: the one built in this repository).")
  Path jar;

  @Option(names = "--parallelism", description = "Job parallelism (default: the cluster's).")
  Integer parallelism;

  /**
   * Off by default, as {@code flink run -d}: a caller that retries failed submissions (a Kubernetes
   * Job with a backoff limit) must not take "submitted, but not running yet" for "not submitted".
   */
  @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "0",
      description = "After submitting, wait up to this long for every task of the job to run, and fail with the"
          + " reason when it does not (no free task slot, an exception at start); the job stays submitted"
          + " either way. 0 = return once submitted (default ${DEFAULT-VALUE}).")
  int waitSeconds;

  @Override
  public Integer call() {
    if (waitSeconds < 0) {
      throw new UserException("--wait must be 0 or more seconds");
    }
    Job j = Job.named(job);
    JobSubmission s = submit(jobManager, j, jar != null ? jar : home().resolve(j.jar), jobConfig, parallelism);
    spec.commandLine().getOut().printf("submitted %s as job %s to %s%n", j.cliName, s.jobId(), jobManager);
    spec.commandLine().getOut().flush();
    if (waitSeconds > 0) {
      new FlinkRestClient(jobManager).awaitRunning(s.jobId(), j.cliName, Duration.ofSeconds(waitSeconds));
      spec.commandLine().getOut().printf("%s (job %s): every task running%n", j.cliName, s.jobId());
      spec.commandLine().getOut().flush();
    }
    return 0;
  }

  /** The submitted job (its id on the cluster). */
  public record JobSubmission(String jobId) {}

  public static JobSubmission submitFeaturePipeline(URI jobManager, Path jobConfig) {
    return submit(jobManager, "feature-pipeline", jobConfig);
  }

  /** Submits the named job ({@code feature-pipeline}, {@code scoring}, ...) with the jar built in this repository. */
  public static JobSubmission submit(URI jobManager, String jobName, Path jobConfig) {
    return submit(jobManager, jobName, jobConfig, null);
  }

  /** The same, restoring the job's state from {@code restorePath} (a retained checkpoint or savepoint) when set. */
  public static JobSubmission submit(URI jobManager, String jobName, Path jobConfig, String restorePath) {
    Job j = Job.named(jobName);
    return submit(jobManager, j, home().resolve(j.jar), jobConfig, null, restorePath);
  }

  static JobSubmission submit(URI jobManager, Job j, Path jar, Path config, Integer parallelism) {
    return submit(jobManager, j, jar, config, parallelism, null);
  }

  static JobSubmission submit(URI jobManager, Job j, Path jar, Path config, Integer parallelism, String restorePath) {
    List<String> args = new ArrayList<>();
    if (config != null) {
      if (!Files.isRegularFile(config)) {
        throw new UserException("job config " + config + " not found");
      }
      args.add("--config");
      args.add(config.toAbsolutePath().toString());
    }
    FlinkRestClient flink = new FlinkRestClient(jobManager);
    String jarId = flink.upload(jar);
    try {
      return new JobSubmission(flink.run(jarId, j.entryClass, args, parallelism, restorePath));
    } finally {
      // the job runs from the copy Flink keeps with it: the upload is not needed any more
      try {
        flink.deleteJar(jarId);
      } catch (UserException e) {
        LOG.warn("could not delete the uploaded jar {} from {}: {}", jarId, jobManager, e.getMessage());
      }
    }
  }

  static Path home() {
    return Path.of(System.getProperty("vigil.home", System.getenv().getOrDefault("VIGIL_HOME", ".")));
  }
}
