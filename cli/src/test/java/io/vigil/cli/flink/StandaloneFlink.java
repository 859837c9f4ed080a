package io.vigil.cli.flink;

import io.vigil.embedded.junit.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;

/**
 * A standalone Flink session cluster for tests: a JobManager and a TaskManager, each in a JVM of its
 * own, started the way Flink's {@code jobmanager.sh} and {@code taskmanager.sh} start them, on a class
 * path that holds Flink and its dependencies only (what a Flink distribution's {@code lib/} holds, built
 * by the cli module's {@code flink-cluster-classpath} execution into {@code target/flink-cluster.classpath}).
 * Jobs submitted to it run from their jars in Flink's own child-first class loaders, as on a real
 * cluster; nothing of Vigil is on the cluster's class path, so a class missing from a job jar fails
 * the job. Plugins (the S3 file system) load from {@code FLINK_PLUGINS_DIR}.
 */
public final class StandaloneFlink implements AutoCloseable {

  /** S3 settings of the cluster's {@code s3://} file system. */
  public record S3(String endpoint, String accessKey, String secretKey) {}

  /** Flink's default {@code env.java.default-opts.all} on Java 17: it reflects into these. */
  private static final List<String> OPENS = List.of(
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final Path dir;
  private final URI rest;
  private final List<Process> processes = new ArrayList<>();
  private String classpath;
  private Path pluginsDir;
  private int slots;
  private Process taskManager;
  private int taskManagers;

  private StandaloneFlink(Path dir, URI rest) {
    this.dir = dir;
    this.rest = rest;
  }

  /**
   * Starts the cluster and waits until its TaskManager has registered.
   *
   * @param dir where the cluster's configuration and logs go (kept after the test, for its log files)
   * @param classpathFile the cluster's class path, one line, {@code :}-separated
   * @param pluginsDir Flink plugins, one folder each (may be null)
   */
  public static StandaloneFlink start(Path dir, Path classpathFile, int slots, Path pluginsDir, S3 s3)
      throws IOException {
    if (!Files.isRegularFile(classpathFile)) {
      throw new IllegalStateException(classpathFile + " is missing: it is written by the cli module's build"
          + " (mvn generate-test-resources -pl cli)");
    }
    String classpath = Files.readString(classpathFile).trim();
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(dir.resolve("log"));
    int restPort = freePort();
    StringBuilder yaml = new StringBuilder()
        .append("jobmanager.rpc.address: 127.0.0.1\n")
        .append("jobmanager.rpc.port: ").append(freePort()).append('\n')
        .append("jobmanager.bind-host: 127.0.0.1\n")
        .append("jobmanager.memory.process.size: 1024m\n")
        .append("taskmanager.host: 127.0.0.1\n")
        .append("taskmanager.bind-host: 127.0.0.1\n")
        .append("taskmanager.numberOfTaskSlots: ").append(slots).append('\n')
        .append("taskmanager.memory.process.size: 2560m\n")
        // the jobs keep their state on the heap (hashmap backend): little managed memory
        .append("taskmanager.memory.managed.fraction: 0.1\n")
        .append("rest.address: 127.0.0.1\n")
        .append("rest.bind-address: 127.0.0.1\n")
        .append("rest.port: ").append(restPort).append('\n')
        .append("parallelism.default: 1\n")
        // a TaskManager that dies is noticed within seconds (default: 50 s)
        .append("heartbeat.interval: 1000\n")
        .append("heartbeat.timeout: 10000\n")
        .append("execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION\n");
    if (s3 != null) {
      yaml.append("s3.endpoint: ").append(s3.endpoint()).append('\n')
          .append("s3.access-key: ").append(s3.accessKey()).append('\n')
          .append("s3.secret-key: ").append(s3.secretKey()).append('\n')
          .append("s3.path.style.access: true\n");
    }
    Files.writeString(conf.resolve("config.yaml"), yaml);
    Files.writeString(conf.resolve("logback.xml"), """
        <configuration>
          <appender name="FILE" class="ch.qos.logback.core.FileAppender">
            <file>${log.file}</file>
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
          </appender>
          <logger name="org.apache.kafka" level="WARN"/>
          <logger name="org.apache.pekko" level="WARN"/>
          <root level="INFO"><appender-ref ref="FILE"/></root>
        </configuration>
        """);

    StandaloneFlink flink = new StandaloneFlink(dir, URI.create("http://127.0.0.1:" + restPort));
    flink.classpath = classpath;
    flink.pluginsDir = pluginsDir;
    flink.slots = slots;
    try {
      flink.launch("jobmanager", List.of("-Xmx512m"),
          "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", List.of());
      flink.startTaskManager();
      return flink;
    } catch (IOException | RuntimeException | AssertionError e) {
      flink.close();
      throw e;
    }
  }

  /**
   * Starts a TaskManager (the first, or one that replaces a killed one) and waits until the cluster
   * offers its slots.
   */
  public void startTaskManager() throws IOException {
    Path conf = dir.resolve("conf");
    // the TaskManager's JVM sizes and its memory settings, as taskmanager.sh derives them (BashJavaUtils)
    Configuration c = GlobalConfiguration.loadConfiguration(conf.toString());
    TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(c);
    List<String> jvm = Arrays.asList(ProcessMemoryUtils.generateJvmParametersStr(spec).trim().split("\\s+"));
    List<String> dynamic = Arrays.asList(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec).trim().split("\\s+"));
    taskManagers++;
    taskManager = launch(taskManagers == 1 ? "taskmanager" : "taskmanager-" + taskManagers, jvm,
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", dynamic);
    awaitSlots(slots, Duration.ofMinutes(2));
  }

  /**
   * Kills the TaskManager's JVM at once (SIGKILL: no shutdown hook, no flush, open Kafka transactions
   * left open), as a crashed machine or an OOM kill would, and waits until it is gone.
   */
  public void killTaskManager() throws InterruptedException {
    taskManager.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    processes.remove(taskManager);
  }

  /** The REST endpoint (jobs are submitted here, as to any Flink cluster). */
  public URI restAddress() {
    return rest;
  }

  /** Where the JobManager's and TaskManager's logs are. */
  public Path logDir() {
    return dir.resolve("log");
  }

  private Process launch(String role, List<String> jvmOptions, String mainClass, List<String> args) throws IOException {
    Path conf = dir.resolve("conf");
    Path logs = dir.resolve("log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(OPENS);
    cmd.addAll(jvmOptions);
    cmd.add("-Dlog.file=" + logs.resolve(role + ".log"));
    cmd.add("-Dlogback.configurationFile=" + conf.resolve("logback.xml"));
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.add("--configDir");
    cmd.add(conf.toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(logs.resolve(role + ".out").toFile());
    pb.environment().put("FLINK_CONF_DIR", conf.toString());
    if (pluginsDir != null) {
      pb.environment().put("FLINK_PLUGINS_DIR", pluginsDir.toAbsolutePath().toString());
    }
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private void awaitSlots(int slots, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Await.until(timeout, Duration.ofMillis(250), "the Flink cluster to offer " + slots + " slots; see " + logDir(), () -> {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a Flink process exited with " + p.exitValue() + "; see " + logDir());
        }
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(rest.resolve("/overview"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 && r.body().contains("\"taskmanagers\":1,")
            && r.body().contains("\"slots-total\":" + slots);
      } catch (IOException e) {
        return false; // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the Flink cluster", e);
      }
    });
  }


  @Override
  public void close() {
    // TaskManager first, then the JobManager: each gets SIGTERM (Flink's shutdown hooks run), then is killed
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A port that was free a moment ago (the cluster binds it shortly after). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
