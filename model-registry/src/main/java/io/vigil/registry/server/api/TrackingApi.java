package io.vigil.registry.server.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.vigil.registry.server.MlflowException;
import io.vigil.registry.server.artifacts.ArtifactRoot;
import io.vigil.registry.server.artifacts.ArtifactStore;
import io.vigil.registry.server.store.Entities.Experiment;
import io.vigil.registry.server.store.Entities.Metric;
import io.vigil.registry.server.store.Entities.Run;
import io.vigil.registry.server.store.Entities.RunInfo;
import io.vigil.registry.server.store.RegistryStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Experiments, runs, metrics, params, tags: the tracking half of {@code service.proto}. */
public final class TrackingApi {

  private static final String BASE = "/api/2.0/mlflow/";
  private static final int MAX_KEY = 250;
  private static final int MAX_VALUE = 8000;

  private final ApiSupport api;
  private final RegistryStore store;
  private final ArtifactStore artifacts;
  private final Clock clock;

  public TrackingApi(ApiSupport api, RegistryStore store, ArtifactStore artifacts, Clock clock) {
    this.api = requireNonNull(api, "api");
    this.store = requireNonNull(store, "store");
    this.artifacts = requireNonNull(artifacts, "artifacts");
    this.clock = requireNonNull(clock, "clock");
  }

  public void register(Javalin app) {
    app.post(BASE + "experiments/create", this::createExperiment);
    app.get(BASE + "experiments/get", this::getExperiment);
    app.get(BASE + "experiments/get-by-name", this::getExperimentByName);
    app.get(BASE + "experiments/search", this::searchExperiments);
    app.post(BASE + "experiments/search", this::searchExperiments);
    app.post(BASE + "experiments/update", this::updateExperiment);
    app.post(BASE + "experiments/delete", ctx -> experimentLifecycle(ctx, RegistryStore.DELETED));
    app.post(BASE + "experiments/restore", ctx -> experimentLifecycle(ctx, RegistryStore.ACTIVE));
    app.post(BASE + "experiments/set-experiment-tag", this::setExperimentTag);
    app.post(BASE + "runs/create", this::createRun);
    app.get(BASE + "runs/get", this::getRun);
    app.post(BASE + "runs/update", this::updateRun);
    app.post(BASE + "runs/delete", ctx -> runLifecycle(ctx, RegistryStore.DELETED));
    app.post(BASE + "runs/restore", ctx -> runLifecycle(ctx, RegistryStore.ACTIVE));
    app.post(BASE + "runs/search", this::searchRuns);
    app.post(BASE + "runs/log-metric", this::logMetric);
    app.post(BASE + "runs/log-parameter", this::logParam);
    app.post(BASE + "runs/set-tag", this::setTag);
    app.post(BASE + "runs/delete-tag", this::deleteTag);
    app.post(BASE + "runs/log-batch", this::logBatch);
    app.get(BASE + "metrics/get-history", this::metricHistory);
    app.get(BASE + "artifacts/list", this::listArtifacts);
  }

  private static long experimentId(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw MlflowException.invalid("Invalid experiment id: '" + value + "'");
    }
  }

  private void createExperiment(Context ctx) {
    Params p = api.params(ctx);
    String name = ApiSupport.checkName("name", p.string("name"), 256);
    String location = p.optString("artifact_location");
    ArtifactRoot root = artifacts.root();
    String checked = location == null || location.isEmpty()
        ? null : root.checkedLocation(location, "artifact_location");
    Map<String, String> tags = checkedTags(p.keyValues("tags"));
    long id = store.createExperiment(name, checked, n -> root.uriOf(Long.toString(n)), tags);
    ObjectNode out = ProtoJson.object();
    out.put("experiment_id", Long.toString(id));
    api.json(ctx, out);
  }

  private void getExperiment(Context ctx) {
    Params p = api.params(ctx);
    Experiment e = store.getExperiment(experimentId(p.string("experiment_id")));
    ObjectNode out = ProtoJson.object();
    out.set("experiment", ProtoJson.experiment(e));
    api.json(ctx, out);
  }

  private void getExperimentByName(Context ctx) {
    Params p = api.params(ctx);
    String name = p.string("experiment_name");
    Experiment e = store.findExperimentByName(name).orElseThrow(() ->
        MlflowException.notFound("Could not find experiment with name '" + name + "'"));
    ObjectNode out = ProtoJson.object();
    out.set("experiment", ProtoJson.experiment(e));
    api.json(ctx, out);
  }

  private void searchExperiments(Context ctx) {
    Params p = api.params(ctx);
    int max = api.maxResults(p, 1000);
    String view = viewType(p.optString("view_type"));
    SearchFilter filter = SearchFilter.parse(p.optString("filter"));
    List<SearchFilter.Order> orders = SearchFilter.orders(p.strings("order_by"));
    List<Experiment> matching = new ArrayList<>();
    for (Experiment e : store.allExperiments()) {
      if (inView(view, e.lifecycleStage()) && filter.matches((ent, key) -> experimentField(e, ent, key))) {
        matching.add(e);
      }
    }
    Comparator<Experiment> defaultOrder = Comparator.comparingLong(Experiment::lastUpdateTime).reversed()
        .thenComparing(Comparator.comparingLong(Experiment::id).reversed());
    matching.sort(orders.isEmpty() ? defaultOrder
        : SearchFilter.comparator(orders, (e, o) -> experimentField(e, o.entity(), o.key()), defaultOrder));
    PageToken.Page<Experiment> page = PageToken.page(matching, p.optString("page_token"), max);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("experiments");
    page.items().forEach(e -> list.add(ProtoJson.experiment(e)));
    if (page.nextPageToken() != null) {
      out.put("next_page_token", page.nextPageToken());
    }
    api.json(ctx, out);
  }

  private static Object experimentField(Experiment e, String entity, String key) {
    if (entity.startsWith("tag")) {
      return e.tags().get(key);
    }
    if (!entity.startsWith("attr")) {
      throw MlflowException.invalid("Invalid entity '" + entity + "' in experiment search");
    }
    switch (key) {
      case "name": return e.name();
      case "experiment_id": return e.id();
      case "creation_time": return e.creationTime();
      case "last_update_time": return e.lastUpdateTime();
      default: throw MlflowException.invalid("Invalid attribute key '" + key + "' in experiment search");
    }
  }

  private void updateExperiment(Context ctx) {
    Params p = api.params(ctx);
    long id = experimentId(p.string("experiment_id"));
    String newName = p.optString("new_name");
    if (newName != null && !newName.isEmpty()) {
      store.renameExperiment(id, ApiSupport.checkName("new_name", newName, 256));
    }
    api.json(ctx, ProtoJson.object());
  }

  private void experimentLifecycle(Context ctx, String stage) {
    Params p = api.params(ctx);
    store.setExperimentLifecycle(experimentId(p.string("experiment_id")), stage);
    api.json(ctx, ProtoJson.object());
  }

  private void setExperimentTag(Context ctx) {
    Params p = api.params(ctx);
    String key = ApiSupport.checkName("key", p.string("key"), MAX_KEY);
    store.setExperimentTag(experimentId(p.string("experiment_id")), key, value(p.optString("value")));
    api.json(ctx, ProtoJson.object());
  }

  private void createRun(Context ctx) {
    Params p = api.params(ctx);
    String experiment = p.optString("experiment_id");
    long expId = experiment == null || experiment.isEmpty() ? 0 : experimentId(experiment);
    Long start = p.optLong("start_time");
    Map<String, String> tags = checkedTags(p.keyValues("tags"));
    String runName = p.optString("run_name");
    if ((runName == null || runName.isEmpty()) && tags.containsKey("mlflow.runName")) {
      runName = tags.get("mlflow.runName");
    }
    String user = p.optString("user_id");
    if (user == null || user.isEmpty()) {
      user = api.actor(ctx, p);
    }
    RunInfo info = store.createRun(expId, user, runName, start == null ? clock.millis() : start, tags);
    ObjectNode out = ProtoJson.object();
    out.set("run", ProtoJson.run(store.getRun(info.runId())));
    api.json(ctx, out);
  }

  private void getRun(Context ctx) {
    Params p = api.params(ctx);
    Run run = store.getRun(p.firstString("run_id", "run_uuid"));
    ObjectNode out = ProtoJson.object();
    out.set("run", ProtoJson.run(run));
    api.json(ctx, out);
  }

  private void updateRun(Context ctx) {
    Params p = api.params(ctx);
    String status = p.optString("status");
    if (status != null && !status.isEmpty() && !RegistryStore.RUN_STATUSES.contains(status)) {
      throw MlflowException.invalid("Invalid run status '" + status + "'");
    }
    RunInfo info = store.updateRun(p.firstString("run_id", "run_uuid"),
        status == null || status.isEmpty() ? null : status, p.optLong("end_time"), p.optString("run_name"));
    ObjectNode out = ProtoJson.object();
    out.set("run_info", ProtoJson.runInfo(info));
    api.json(ctx, out);
  }

  private void runLifecycle(Context ctx, String stage) {
    Params p = api.params(ctx);
    store.setRunLifecycle(p.string("run_id"), stage);
    api.json(ctx, ProtoJson.object());
  }

  private void searchRuns(Context ctx) {
    Params p = api.params(ctx);
    int max = api.maxResults(p, 1000);
    List<Long> ids = new ArrayList<>();
    for (String s : p.strings("experiment_ids")) {
      ids.add(experimentId(s));
    }
    String view = viewType(p.optString("run_view_type"));
    SearchFilter filter = SearchFilter.parse(p.optString("filter"));
    List<SearchFilter.Order> orders = SearchFilter.orders(p.strings("order_by"));
    List<Run> matching = new ArrayList<>();
    for (Run r : store.runsOf(ids)) {
      if (inView(view, r.info().lifecycleStage()) && filter.matches((ent, key) -> runField(r, ent, key))) {
        matching.add(r);
      }
    }
    Comparator<Run> defaultOrder = Comparator.comparingLong((Run r) -> r.info().startTime()).reversed()
        .thenComparing(r -> r.info().runId());
    matching.sort(orders.isEmpty() ? defaultOrder
        : SearchFilter.comparator(orders, (r, o) -> runField(r, o.entity(), o.key()), defaultOrder));
    PageToken.Page<Run> page = PageToken.page(matching, p.optString("page_token"), max);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("runs");
    page.items().forEach(r -> list.add(ProtoJson.run(r)));
    if (page.nextPageToken() != null) {
      out.put("next_page_token", page.nextPageToken());
    }
    api.json(ctx, out);
  }

  private static Object runField(Run r, String entity, String key) {
    switch (entity) {
      case "metric":
      case "metrics":
        for (Metric m : r.metrics()) {
          if (m.key().equals(key)) {
            return m.value();
          }
        }
        return null;
      case "param":
      case "params":
      case "parameter":
      case "parameters":
        return r.params().get(key);
      case "tag":
      case "tags":
        return r.tags().get(key);
      case "attribute":
      case "attributes":
      case "attr":
      case "run":
        break;
      default:
        throw MlflowException.invalid("Invalid entity type '" + entity + "' in run search");
    }
    RunInfo i = r.info();
    switch (key) {
      case "run_id": return i.runId();
      case "run_name": return i.runName();
      case "status": return i.status();
      case "user_id": return i.userId();
      case "start_time": return i.startTime();
      case "end_time": return i.endTime();
      case "artifact_uri": return i.artifactUri();
      case "lifecycle_stage": return i.lifecycleStage();
      case "created": return i.startTime();
      default: throw MlflowException.invalid("Invalid attribute key '" + key + "' in run search");
    }
  }

  private void logMetric(Context ctx) {
    Params p = api.params(ctx);
    String key = ApiSupport.checkName("key", p.string("key"), MAX_KEY);
    Double value = p.optDouble("value");
    if (value == null) {
      throw MlflowException.invalid("Missing value for required parameter 'value'.");
    }
    Long ts = p.optLong("timestamp");
    Long step = p.optLong("step");
    store.logBatch(p.firstString("run_id", "run_uuid"),
        List.of(new Metric(key, value, ts == null ? clock.millis() : ts, step == null ? 0 : step)),
        Map.of(), Map.of());
    api.json(ctx, ProtoJson.object());
  }

  private void logParam(Context ctx) {
    Params p = api.params(ctx);
    String key = ApiSupport.checkName("key", p.string("key"), MAX_KEY);
    store.logBatch(p.firstString("run_id", "run_uuid"), List.of(),
        Map.of(key, value(p.optString("value"))), Map.of());
    api.json(ctx, ProtoJson.object());
  }

  private void setTag(Context ctx) {
    Params p = api.params(ctx);
    String key = ApiSupport.checkName("key", p.string("key"), MAX_KEY);
    store.logBatch(p.firstString("run_id", "run_uuid"), List.of(), Map.of(),
        Map.of(key, value(p.optString("value"))));
    api.json(ctx, ProtoJson.object());
  }

  private void deleteTag(Context ctx) {
    Params p = api.params(ctx);
    store.deleteRunTag(p.string("run_id"), p.string("key"));
    api.json(ctx, ProtoJson.object());
  }

  private void logBatch(Context ctx) {
    Params p = api.params(ctx);
    String runId = p.string("run_id");
    List<JsonNode> metricNodes = p.objects("metrics");
    Map<String, String> params = p.keyValues("params");
    Map<String, String> tags = checkedTags(p.keyValues("tags"));
    if (metricNodes.size() > 1000 || params.size() > 100 || tags.size() > 100) {
      throw MlflowException.invalid("A batch logging request can contain at most 1000 metrics,"
          + " 100 params and 100 tags");
    }
    List<Metric> metrics = new ArrayList<>();
    long now = clock.millis();
    for (JsonNode m : metricNodes) {
      JsonNode key = m.get("key");
      JsonNode value = m.get("value");
      if (key == null || key.asText().isEmpty() || value == null || value.isNull()) {
        throw MlflowException.invalid("Each metric needs a key and a value");
      }
      JsonNode ts = m.get("timestamp");
      JsonNode step = m.get("step");
      metrics.add(new Metric(ApiSupport.checkName("metrics.key", key.asText(), MAX_KEY),
          Params.toDouble(value, "value"),
          ts == null || ts.isNull() ? now : parseLong(ts, "timestamp"),
          step == null || step.isNull() ? 0 : parseLong(step, "step")));
    }
    Map<String, String> checkedParams = new LinkedHashMap<>();
    params.forEach((k, v) -> checkedParams.put(ApiSupport.checkName("params.key", k, MAX_KEY), value(v)));
    store.logBatch(runId, metrics, checkedParams, tags);
    api.json(ctx, ProtoJson.object());
  }

  private static long parseLong(JsonNode n, String name) {
    try {
      return n.isNumber() ? n.asLong() : Long.parseLong(n.asText());
    } catch (NumberFormatException e) {
      throw MlflowException.invalid("Invalid value for '" + name + "': expected an integer");
    }
  }

  private void metricHistory(Context ctx) {
    Params p = api.params(ctx);
    int max = api.maxResults(p, 1000);
    List<Metric> history = store.metricHistory(p.firstString("run_id", "run_uuid"), p.string("metric_key"));
    PageToken.Page<Metric> page = PageToken.page(history, p.optString("page_token"), max);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("metrics");
    page.items().forEach(m -> list.add(ProtoJson.metric(m)));
    if (page.nextPageToken() != null) {
      out.put("next_page_token", page.nextPageToken());
    }
    api.json(ctx, out);
  }

  private void listArtifacts(Context ctx) {
    Params p = api.params(ctx);
    Run run = store.getRun(p.firstString("run_id", "run_uuid"));
    String runRoot = artifacts.root().relativeOf(run.info().artifactUri(), "artifact_uri");
    String path = io.vigil.registry.server.artifacts.ArtifactPaths.relative(
        p.optString("path") == null ? "" : p.optString("path"));
    String dir = path.isEmpty() ? runRoot : runRoot + "/" + path;
    ObjectNode out = ProtoJson.object();
    out.put("root_uri", run.info().artifactUri());
    ArrayNode files = out.putArray("files");
    for (ArtifactStore.FileInfo f : artifacts.list(dir)) {
      ObjectNode o = files.addObject();
      o.put("path", path.isEmpty() ? f.path() : path + "/" + f.path());
      o.put("is_dir", f.isDir());
      if (!f.isDir()) {
        o.put("file_size", Long.toString(f.fileSize()));
      }
    }
    api.json(ctx, out);
  }

  private static Map<String, String> checkedTags(Map<String, String> tags) {
    Map<String, String> out = new LinkedHashMap<>();
    tags.forEach((k, v) -> out.put(ApiSupport.checkName("tags.key", k, MAX_KEY), value(v)));
    return out;
  }

  private static String value(String v) {
    String s = v == null ? "" : v;
    if (s.length() > MAX_VALUE) {
      throw MlflowException.invalid("Value exceeds the maximum length of " + MAX_VALUE);
    }
    return s;
  }

  static String viewType(String v) {
    if (v == null || v.isEmpty()) {
      return "ACTIVE_ONLY";
    }
    String u = v.toUpperCase(Locale.ROOT);
    switch (u) {
      case "ACTIVE_ONLY": case "DELETED_ONLY": case "ALL": return u;
      case "1": return "ACTIVE_ONLY";
      case "2": return "DELETED_ONLY";
      case "3": return "ALL";
      default: throw MlflowException.invalid("Invalid view type '" + v + "'");
    }
  }

  static boolean inView(String view, String lifecycle) {
    switch (view) {
      case "ALL": return true;
      case "DELETED_ONLY": return RegistryStore.DELETED.equals(lifecycle);
      default: return RegistryStore.ACTIVE.equals(lifecycle);
    }
  }
}
