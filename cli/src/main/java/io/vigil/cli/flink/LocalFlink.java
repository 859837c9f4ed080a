package io.vigil.cli.flink;

import java.net.URI;
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

  public static LocalFlink start(int restPort, int slots) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.ADDRESS, "127.0.0.1");
    conf.set(RestOptions.PORT, restPort);
    conf.set(WebOptions.SUBMIT_ENABLE, true);
    conf.set(CoreOptions.CLASSLOADER_RESOLVE_ORDER, "parent-first");
    conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
    MiniCluster mc = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
    mc.start();
    URI rest = mc.getRestAddress().get();
    LOG.info("Flink MiniCluster ready, REST API and web UI at {}", rest);
    return new LocalFlink(mc, rest);
  }

  public URI restAddress() {
    return restAddress;
  }

  @Override
  public void close() throws Exception {
    // cancel running jobs first so their tasks stop cleanly before the cluster goes away
    for (var job : cluster.listJobs().get()) {
      if (!job.getJobState().isGloballyTerminalState()) {
        cluster.cancelJob(job.getJobId()).get();
      }
    }
    cluster.close();
    LOG.info("Flink MiniCluster stopped");
  }
}
