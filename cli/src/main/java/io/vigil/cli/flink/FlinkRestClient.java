package io.vigil.cli.flink;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.cli.UserException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Submits job jars to any Flink cluster through its REST API ({@code POST /jars/upload}, {@code
 * POST /jars/:id/run}) — the same calls the web UI and {@code flink run} against a session cluster
 * make.
 */
public final class FlinkRestClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public FlinkRestClient(URI jobManager) {
    String s = requireNonNull(jobManager, "jobManager").toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
  }

  /** Uploads a jar; returns the id Flink gave it. */
  public String upload(Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new UserException("job jar " + jar + " not found; build it with ./mvnw -q install -DskipTests");
    }
    String boundary = "vigil-" + UUID.randomUUID();
    try {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
          + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      body.write(Files.readAllBytes(jar));
      body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
      JsonNode r = send(HttpRequest.newBuilder(base.resolve("jars/upload"))
          .header("Content-Type", "multipart/form-data; boundary=" + boundary)
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
      String file = r.path("filename").asText();
      return file.substring(file.lastIndexOf('/') + 1);
    } catch (IOException e) {
      throw new UserException("cannot read " + jar + ": " + e.getMessage(), e);
    }
  }

  /** Runs an uploaded jar; returns the job id. */
  public String run(String jarId, String entryClass, List<String> args, Integer parallelism) {
    return run(jarId, entryClass, args, parallelism, null);
  }

  /**
   * Runs an uploaded jar, restoring its state from a savepoint or retained checkpoint when {@code
   * restorePath} is set; returns the job id.
   */
  public String run(String jarId, String entryClass, List<String> args, Integer parallelism, String restorePath) {
    try {
      Map<String, Object> req = new java.util.LinkedHashMap<>();
      req.put("entryClass", entryClass);
      req.put("programArgsList", args);
      if (parallelism != null && parallelism > 0) {
        req.put("parallelism", parallelism);
      }
      if (restorePath != null) {
        req.put("savepointPath", restorePath);
        req.put("allowNonRestoredState", false);
      }
      JsonNode r = send(HttpRequest.newBuilder(base.resolve("jars/" + jarId + "/run"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(req))).build());
      return r.path("jobid").asText();
    } catch (IOException e) {
      throw new UserException("cannot encode the run request: " + e.getMessage(), e);
    }
  }

  /**
   * Deletes an uploaded jar from the JobManager's upload directory. A job runs from the copy Flink
   * made of its jar at submission (blob server), so this is safe once the job is submitted; without
   * it, every submission leaves its jar behind on a long-running cluster.
   */
  public void deleteJar(String jarId) {
    send(HttpRequest.newBuilder(base.resolve("jars/" + jarId)).DELETE().build());
  }

  /** Cancels a job (its retained checkpoints stay: the launcher's cluster retains them on cancellation). */
  public void cancel(String jobId) {
    send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "?mode=cancel"))
        .method("PATCH", HttpRequest.BodyPublishers.noBody()).build());
  }

  /** The job's state (RUNNING, FAILED, ...). */
  public String jobState(String jobId) {
    return send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET().build()).path("state").asText();
  }

  /**
   * Waits until every task of the job runs (a job is RUNNING as soon as it is scheduled; its tasks
   * may still wait for slots or be deploying). Throws when the job fails, ends, or is not running
   * within {@code timeout}, naming the reason: the job's root exception, or its tasks' states.
   */
  public void awaitRunning(String jobId, String name, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode job = send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId)).GET().build());
      String state = job.path("state").asText();
      if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
        throw new UserException(name + " (job " + jobId + ") is " + state + rootException(jobId));
      }
      Map<String, Integer> counts = new TreeMap<>();
      boolean allRunning = state.equals("RUNNING") && job.path("vertices").size() > 0;
      for (JsonNode v : job.path("vertices")) {
        int running = v.path("tasks").path("RUNNING").asInt() + v.path("tasks").path("FINISHED").asInt();
        allRunning &= running == v.path("parallelism").asInt();
        v.path("tasks").fields().forEachRemaining(e -> {
          if (e.getValue().asInt() > 0) {
            counts.merge(e.getKey(), e.getValue().asInt(), Integer::sum);
          }
        });
      }
      if (allRunning) {
        return;
      }
      String tasks = counts.toString();
      if (System.nanoTime() > deadline) {
        throw new UserException(name + " (job " + jobId + ") is not running after " + timeout.toSeconds()
            + " s: job " + state + ", tasks " + tasks + (tasks.contains("SCHEDULED") || tasks.contains("CREATED")
                ? " (does the cluster have a free task slot for each of its tasks?)" : "")
            + rootException(jobId).replaceFirst("^: ", "; last failure: "));
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserException("interrupted while waiting for " + name + " to run", e);
      }
    }
  }

  /** ": " and the first line of the job's root exception, or "" when Flink reports none. */
  private String rootException(String jobId) {
    try {
      JsonNode ex = send(HttpRequest.newBuilder(base.resolve("jobs/" + jobId + "/exceptions")).GET().build());
      String root = ex.path("exceptionHistory").path("entries").path(0).path("stacktrace").asText(
          ex.path("root-exception").asText(""));
      return root.isBlank() ? "" : ": " + abbreviate(root);
    } catch (UserException e) {
      return "";
    }
  }

  private JsonNode send(HttpRequest request) {
    try {
      HttpResponse<String> resp = http.send(request, HttpResponse.BodyHandlers.ofString());
      JsonNode body = resp.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(resp.body());
      if (resp.statusCode() >= 300) {
        String errors = body.path("errors").toString();
        throw new UserException("Flink at " + base + " refused " + request.uri().getPath() + " (HTTP "
            + resp.statusCode() + "): " + abbreviate(errors));
      }
      return body;
    } catch (IOException e) {
      throw new UserException("cannot reach Flink's REST API at " + base + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UserException("interrupted while talking to Flink", e);
    }
  }

  /** Flink returns whole stack traces: keep the first line and the causes, not the frames. */
  private static String abbreviate(String s) {
    StringBuilder b = new StringBuilder();
    for (String line : s.replace("\\n", "\n").replace("\\t", "\t").split("\n")) {
      String l = line.strip();
      if (b.length() == 0 || l.startsWith("Caused by:")) {
        b.append(b.length() == 0 ? "" : " <- ").append(l, 0, Math.min(l.length(), 300));
      }
    }
    return b.toString();
  }
}
