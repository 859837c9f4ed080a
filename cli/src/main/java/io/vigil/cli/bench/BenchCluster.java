package io.vigil.cli.bench;

import io.vigil.cli.flink.LocalFlink;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The one local Flink cluster a benchmark runs all of its jobs on, as jobs go to a long-running
 * cluster in production, and how a bounded job is timed there. A local environment per job would
 * start a MiniCluster per job: its start-up counted in the job's time, and each loaded its own copy
 * of Flink's RPC system (Pekko, Scala) in a fresh class loader, which the JIT compiled anew every
 * time, so no later run was warmed up.
 */
final class BenchCluster implements AutoCloseable {

  private final LocalFlink flink;
  private final URI rest;

  private BenchCluster(LocalFlink flink) {
    this.flink = flink;
    this.rest = flink.restAddress();
  }

  static BenchCluster start(int slots) throws Exception {
    return new BenchCluster(LocalFlink.start(0, slots, null, null));
  }

  /** An environment that submits to this cluster over REST. */
  StreamExecutionEnvironment environment() {
    return StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort(), new Configuration());
  }

  /**
   * A bounded job's run time as the cluster measured it (from its submission to its end), not when
   * the client's polling for the result noticed the end: that poll backs off, and rounded short jobs up.
   */
  static double seconds(JobExecutionResult result) {
    return result.getNetRuntime(TimeUnit.NANOSECONDS) / 1e9;
  }

  @Override
  public void close() throws Exception {
    flink.close();
  }
}
