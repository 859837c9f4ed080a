package io.vigil.cli.flink;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import org.apache.flink.core.plugin.PluginConfig;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Flink MiniCluster in this JVM with its REST API and web UI, so jobs are submitted to it exactly
 * as to a real cluster. Jobs resolve classes parent-first: the launcher already carries the
 * connector and Kafka client classes, and loading them twice breaks the Kafka source.
 */
public final class LocalFlink implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalFlink.class);

  private final MiniCluster cluster;
  private final URI restAddress;

  private LocalFlink(MiniCluster cluster, URI restAddress) {
    this.cluster = cluster;
    this.restAddress = restAddress;
  }

  /** S3 settings for {@code s3://} checkpoints and files; null = no S3. */
  public record S3(String endpoint, String accessKey, String secretKey) {}

  /**
   * Starts the cluster. {@code pluginsDir} (may be null or missing) holds Flink plugins, one folder
   * each, e.g. {@code s3-fs-hadoop/flink-s3-fs-hadoop-*.jar}; they load in their own class loaders, as
   * on a real cluster, so {@code s3://} paths work without clashing with the launcher's classes.
   */
  public static LocalFlink start(int restPort, int slots, Path pluginsDir, S3 s3) throws Exception {
    Configuration conf = new Configuration();
    if (s3 != null) {
      conf.setString("s3.endpoint", s3.endpoint());
      conf.setString("s3.access-key", s3.accessKey());
      conf.setString("s3.secret-key", s3.secretKey());
      conf.setString("s3.path.style.access", "true");
    }
    FileSystem.initialize(conf, pluginManager(pluginsDir, conf));
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.PORT, restPort);
    conf.set(WebOptions.SUBMIT_ENABLE, true);
    conf.set(CoreOptions.CLASSLOADER_RESOLVE_ORDER, "parent-first");
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
    // the jobs' last checkpoints survive a stop, so the next `up` resumes them with their state
    conf.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    MiniCluster mc = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
    mc.start();
    URI rest = mc.getRestAddress().get();
    LOG.info("Flink MiniCluster ready, REST API and web UI at {}", rest);
    return new LocalFlink(mc, rest);
  }

  /** True when an S3 file system plugin is installed in {@code pluginsDir}. */
  public static boolean hasS3Plugin(Path pluginsDir) {
    return pluginsDir != null && Files.isDirectory(pluginsDir.resolve("s3-fs-hadoop"));
  }

  private static PluginManager pluginManager(Path pluginsDir, Configuration conf) throws IOException {
    if (pluginsDir == null || !Files.isDirectory(pluginsDir)) {
      return null;
    }
    return new DefaultPluginManager(new DirectoryBasedPluginFinder(pluginsDir).findPlugins(),
        PluginConfig.fromConfiguration(conf).getAlwaysParentFirstPatterns());
  }

  public URI restAddress() {
    return restAddress;
  }

  @Override
  public void close() throws Exception {
    // cancel running jobs first so their tasks stop cleanly before the cluster goes away; a job
    // already being cancelled (the launcher cancels its jobs over REST) is waited for, not cancelled
    // again: a second cancellation racing the first made Flink log "application has already
    // terminated" errors on a clean stop
    List<CompletableFuture<?>> ending = new ArrayList<>();
    for (var job : cluster.listJobs().get()) {
      JobStatus state = job.getJobState();
      if (state.isGloballyTerminalState()) {
        continue;
      }
      if (state != JobStatus.CANCELLING) {
        cluster.cancelJob(job.getJobId()).get();
      }
      ending.add(cluster.requestJobResult(job.getJobId()));
    }
    try {
      CompletableFuture.allOf(ending.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      LOG.warn("{} job(s) still ending after 30 s; stopping the cluster anyway", ending.size());
    }
    cluster.close();
    LOG.info("Flink MiniCluster stopped");
  }
}
