package io.vigil.registry.server.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.vigil.registry.server.MlflowException;
import io.vigil.registry.server.artifacts.ArtifactPaths;
import io.vigil.registry.server.artifacts.ArtifactStore;
import io.vigil.registry.server.store.Entities.AliasChange;
import io.vigil.registry.server.store.Entities.ModelVersion;
import io.vigil.registry.server.store.Entities.RegisteredModel;
import io.vigil.registry.server.store.Entities.Run;
import io.vigil.registry.server.store.RegistryStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Registered models, model versions, stages, tags and aliases: {@code model_registry.proto}. */
public final class RegistryApi {

  private static final String BASE = "/api/2.0/mlflow/";
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9_-]{1,255}");
  private static final Pattern RESERVED_ALIAS = Pattern.compile("(?i)latest|v\\d+");

  private final ApiSupport api;
  private final RegistryStore store;
  private final ArtifactStore artifacts;

  public RegistryApi(ApiSupport api, RegistryStore store, ArtifactStore artifacts) {
    this.api = requireNonNull(api, "api");
    this.store = requireNonNull(store, "store");
    this.artifacts = requireNonNull(artifacts, "artifacts");
  }

  public void register(Javalin app) {
    app.post(BASE + "registered-models/create", this::createModel);
    app.get(BASE + "registered-models/get", this::getModel);
    app.post(BASE + "registered-models/rename", this::renameModel);
    app.patch(BASE + "registered-models/update", this::updateModel);
    app.delete(BASE + "registered-models/delete", this::deleteModel);
    app.get(BASE + "registered-models/search", this::searchModels);
    app.post(BASE + "registered-models/get-latest-versions", this::latestVersions);
    app.get(BASE + "registered-models/get-latest-versions", this::latestVersions);
    app.post(BASE + "registered-models/set-tag", this::setModelTag);
    app.delete(BASE + "registered-models/delete-tag", this::deleteModelTag);
    app.post(BASE + "registered-models/alias", this::setAlias);
    app.delete(BASE + "registered-models/alias", this::deleteAlias);
    app.get(BASE + "registered-models/alias", this::getByAlias);
    app.get(BASE + "registered-models/alias-history", this::aliasHistory);
    app.post(BASE + "model-versions/create", this::createVersion);
    app.get(BASE + "model-versions/get", this::getVersion);
    app.patch(BASE + "model-versions/update", this::updateVersion);
    app.delete(BASE + "model-versions/delete", this::deleteVersion);
    app.get(BASE + "model-versions/search", this::searchVersions);
    app.post(BASE + "model-versions/transition-stage", this::transitionStage);
    app.get(BASE + "model-versions/get-download-uri", this::downloadUri);
    app.post(BASE + "model-versions/set-tag", this::setVersionTag);
    app.delete(BASE + "model-versions/delete-tag", this::deleteVersionTag);
  }

  private static String modelName(Params p, String field) {
    return ApiSupport.checkName(field, p.string(field), 256);
  }

  private ObjectNode modelJson(RegisteredModel m) {
    return ProtoJson.registeredModel(m, latest(store.versionsOf(m.name()), Set.of()));
  }

  private static List<ModelVersion> latest(List<ModelVersion> versions, Set<String> stages) {
    Map<String, ModelVersion> byStage = new TreeMap<>();
    for (ModelVersion v : versions) {
      if (!stages.isEmpty() && !stages.contains(v.currentStage())) {
        continue;
      }
      ModelVersion cur = byStage.get(v.currentStage());
      if (cur == null || cur.version() < v.version()) {
        byStage.put(v.currentStage(), v);
      }
    }
    return new ArrayList<>(byStage.values());
  }

  private void createModel(Context ctx) {
    Params p = api.params(ctx);
    String name = modelName(p, "name");
    RegisteredModel m = store.createRegisteredModel(name, p.optString("description"),
        p.keyValues("tags"), api.actor(ctx, p));
    ObjectNode out = ProtoJson.object();
    out.set("registered_model", modelJson(m));
    api.json(ctx, out);
  }

  private void getModel(Context ctx) {
    Params p = api.params(ctx);
    ObjectNode out = ProtoJson.object();
    out.set("registered_model", modelJson(store.getRegisteredModel(modelName(p, "name"))));
    api.json(ctx, out);
  }

  private void renameModel(Context ctx) {
    Params p = api.params(ctx);
    RegisteredModel m = store.renameRegisteredModel(modelName(p, "name"), modelName(p, "new_name"));
    ObjectNode out = ProtoJson.object();
    out.set("registered_model", modelJson(m));
    api.json(ctx, out);
  }

  private void updateModel(Context ctx) {
    Params p = api.params(ctx);
    RegisteredModel m = store.updateRegisteredModel(modelName(p, "name"), p.optString("description"));
    ObjectNode out = ProtoJson.object();
    out.set("registered_model", modelJson(m));
    api.json(ctx, out);
  }

  private void deleteModel(Context ctx) {
    Params p = api.params(ctx);
    store.deleteRegisteredModel(modelName(p, "name"), api.actor(ctx, p));
    api.json(ctx, ProtoJson.object());
  }

  private void searchModels(Context ctx) {
    Params p = api.params(ctx);
    int max = api.maxResults(p, 100);
    SearchFilter filter = SearchFilter.parse(p.optString("filter"));
    List<SearchFilter.Order> orders = SearchFilter.orders(p.strings("order_by"));
    List<RegisteredModel> matching = new ArrayList<>();
    for (RegisteredModel m : store.allRegisteredModels()) {
      if (filter.matches((ent, key) -> modelField(m, ent, key))) {
        matching.add(m);
      }
    }
    Comparator<RegisteredModel> byName = Comparator.comparing(RegisteredModel::name);
    matching.sort(orders.isEmpty() ? byName
        : SearchFilter.comparator(orders, (m, o) -> modelField(m, o.entity(), o.key()), byName));
    PageToken.Page<RegisteredModel> page = PageToken.page(matching, p.optString("page_token"), max);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("registered_models");
    page.items().forEach(m -> list.add(modelJson(m)));
    if (page.nextPageToken() != null) {
      out.put("next_page_token", page.nextPageToken());
    }
    api.json(ctx, out);
  }

  private static Object modelField(RegisteredModel m, String entity, String key) {
    if (entity.startsWith("tag")) {
      return m.tags().get(key);
    }
    if (!entity.startsWith("attr")) {
      throw MlflowException.invalid("Invalid entity '" + entity + "' in registered model search");
    }
    switch (key) {
      case "name": return m.name();
      case "creation_timestamp": case "creation_time": return m.creationTime();
      case "last_updated_timestamp": case "last_updated_time": return m.lastUpdatedTime();
      default: throw MlflowException.invalid("Invalid attribute key '" + key + "' in registered model search");
    }
  }

  private void latestVersions(Context ctx) {
    Params p = api.params(ctx);
    Set<String> stages = new HashSet<>();
    for (String s : p.strings("stages")) {
      stages.add(stage(s));
    }
    List<ModelVersion> versions = latest(store.versionsOf(modelName(p, "name")), stages);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("model_versions");
    versions.forEach(v -> list.add(ProtoJson.modelVersion(v)));
    api.json(ctx, out);
  }

  private void setModelTag(Context ctx) {
    Params p = api.params(ctx);
    store.setRegisteredModelTag(modelName(p, "name"), ApiSupport.checkName("key", p.string("key"), 250),
        p.optString("value") == null ? "" : p.optString("value"));
    api.json(ctx, ProtoJson.object());
  }

  private void deleteModelTag(Context ctx) {
    Params p = api.params(ctx);
    store.deleteRegisteredModelTag(modelName(p, "name"), p.string("key"));
    api.json(ctx, ProtoJson.object());
  }

  private static String alias(Params p) {
    String alias = p.string("alias");
    if (!ALIAS.matcher(alias).matches() || RESERVED_ALIAS.matcher(alias).matches()) {
      throw MlflowException.invalid("Invalid alias '" + alias + "': letters, digits, '_' and '-' only,"
          + " at most 255, and not 'latest' or 'v<number>'");
    }
    return alias;
  }

  /** The request's {@code reason} field, else the {@code X-Vigil-Reason} header, else null. */
  private static String reason(Context ctx, Params p) {
    String reason = p.optString("reason");
    if (reason == null || reason.isEmpty()) {
      reason = ctx.header(ApiSupport.REASON_HEADER);
    }
    if (reason != null && reason.length() > 2000) {
      throw MlflowException.invalid("'reason' exceeds the maximum length of 2000");
    }
    return reason == null || reason.isEmpty() ? null : reason;
  }

  private void setAlias(Context ctx) {
    Params p = api.params(ctx);
    AliasChange change = store.setAlias(modelName(p, "name"), alias(p),
        ApiSupport.version(p.string("version")), api.actor(ctx, p), reason(ctx, p));
    api.json(ctx, changeResponse(change));
  }

  private void deleteAlias(Context ctx) {
    Params p = api.params(ctx);
    AliasChange change = store.deleteAlias(modelName(p, "name"), alias(p), api.actor(ctx, p), reason(ctx, p));
    api.json(ctx, changeResponse(change));
  }

  /** MLflow answers alias calls with {}; the recorded change is added (clients ignore unknown fields). */
  private static ObjectNode changeResponse(AliasChange change) {
    ObjectNode out = ProtoJson.object();
    out.set("alias_change", ProtoJson.aliasChange(change));
    return out;
  }

  private void getByAlias(Context ctx) {
    Params p = api.params(ctx);
    ModelVersion v = store.getVersionByAlias(modelName(p, "name"), alias(p));
    ObjectNode out = ProtoJson.object();
    out.set("model_version", ProtoJson.modelVersion(v));
    api.json(ctx, out);
  }

  private void aliasHistory(Context ctx) {
    Params p = api.params(ctx);
    String alias = p.optString("alias");
    List<AliasChange> history = store.aliasHistory(modelName(p, "name"),
        alias == null || alias.isEmpty() ? null : alias(p));
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("history");
    history.forEach(c -> list.add(ProtoJson.aliasChange(c)));
    api.json(ctx, out);
  }

  /** The checked source: inside the artifact root, or {@code runs:/RUN_ID/path} resolved into it. */
  private String source(String source) {
    ApiSupport.checkName("source", source, 2048);
    if (source.startsWith("runs:/")) {
      String rest = source.substring("runs:/".length());
      if (rest.indexOf('#') >= 0 || rest.indexOf('?') >= 0) {
        throw MlflowException.invalid("source must not contain '#' or '?'");
      }
      int slash = rest.indexOf('/');
      String runId = slash < 0 ? rest : rest.substring(0, slash);
      if (!runId.matches("[0-9a-f]{32}")) {
        throw MlflowException.invalid("source runs:/ URI has an invalid run id");
      }
      String path = slash < 0 ? "" : ArtifactPaths.relative(rest.substring(slash + 1));
      Run run = store.getRun(runId);
      String runRoot = artifacts.root().checkedLocation(run.info().artifactUri(), "artifact_uri");
      return path.isEmpty() ? runRoot : runRoot + "/" + path;
    }
    return artifacts.root().checkedLocation(source, "source");
  }

  private void createVersion(Context ctx) {
    Params p = api.params(ctx);
    String name = modelName(p, "name");
    String source = source(p.string("source"));
    String runId = p.optString("run_id");
    if (runId != null && !runId.isEmpty()) {
      store.getRun(runId);
    } else {
      runId = null;
    }
    String runLink = p.optString("run_link");
    if (runLink != null && !runLink.isEmpty() && !runLink.toLowerCase(Locale.ROOT).startsWith("http")) {
      throw MlflowException.invalid("run_link must be an http(s) URL");
    }
    Map<String, String> tags = new LinkedHashMap<>();
    p.keyValues("tags").forEach((k, v) -> tags.put(ApiSupport.checkName("tags.key", k, 250), v));
    ModelVersion v = store.createModelVersion(name, source, runId,
        runLink == null || runLink.isEmpty() ? null : runLink, p.optString("description"),
        api.actor(ctx, p), tags);
    ObjectNode out = ProtoJson.object();
    out.set("model_version", ProtoJson.modelVersion(v));
    api.json(ctx, out);
  }

  private void getVersion(Context ctx) {
    Params p = api.params(ctx);
    ModelVersion v = store.getModelVersion(modelName(p, "name"), ApiSupport.version(p.string("version")));
    ObjectNode out = ProtoJson.object();
    out.set("model_version", ProtoJson.modelVersion(v));
    api.json(ctx, out);
  }

  private void updateVersion(Context ctx) {
    Params p = api.params(ctx);
    ModelVersion v = store.updateModelVersion(modelName(p, "name"),
        ApiSupport.version(p.string("version")), p.optString("description"));
    ObjectNode out = ProtoJson.object();
    out.set("model_version", ProtoJson.modelVersion(v));
    api.json(ctx, out);
  }

  private void deleteVersion(Context ctx) {
    Params p = api.params(ctx);
    store.deleteModelVersion(modelName(p, "name"), ApiSupport.version(p.string("version")), api.actor(ctx, p));
    api.json(ctx, ProtoJson.object());
  }

  private void searchVersions(Context ctx) {
    Params p = api.params(ctx);
    int max = api.maxResults(p, 1000);
    SearchFilter filter = SearchFilter.parse(p.optString("filter"));
    List<SearchFilter.Order> orders = SearchFilter.orders(p.strings("order_by"));
    List<ModelVersion> matching = new ArrayList<>();
    for (ModelVersion v : store.allModelVersions()) {
      if (filter.matches((ent, key) -> versionField(v, ent, key))) {
        matching.add(v);
      }
    }
    Comparator<ModelVersion> dflt = Comparator.comparing(ModelVersion::name)
        .thenComparing(Comparator.comparingInt(ModelVersion::version).reversed());
    matching.sort(orders.isEmpty() ? dflt
        : SearchFilter.comparator(orders, (v, o) -> versionField(v, o.entity(), o.key()), dflt));
    PageToken.Page<ModelVersion> page = PageToken.page(matching, p.optString("page_token"), max);
    ObjectNode out = ProtoJson.object();
    ArrayNode list = out.putArray("model_versions");
    page.items().forEach(v -> list.add(ProtoJson.modelVersion(v)));
    if (page.nextPageToken() != null) {
      out.put("next_page_token", page.nextPageToken());
    }
    api.json(ctx, out);
  }

  private static Object versionField(ModelVersion v, String entity, String key) {
    if (entity.startsWith("tag")) {
      return v.tags().get(key);
    }
    if (!entity.startsWith("attr")) {
      throw MlflowException.invalid("Invalid entity '" + entity + "' in model version search");
    }
    switch (key) {
      case "name": return v.name();
      case "version": case "version_number": return v.version();
      case "run_id": return v.runId();
      case "source": case "source_path": return v.source();
      case "current_stage": return v.currentStage();
      case "creation_timestamp": return v.creationTime();
      case "last_updated_timestamp": return v.lastUpdatedTime();
      default: throw MlflowException.invalid("Invalid attribute key '" + key + "' in model version search");
    }
  }

  private static String stage(String s) {
    for (String known : RegistryStore.STAGES) {
      if (known.equalsIgnoreCase(s)) {
        return known;
      }
    }
    throw MlflowException.invalid("Invalid Model Version stage: " + s
        + ". Value must be one of None, Staging, Production, Archived.");
  }

  private void transitionStage(Context ctx) {
    Params p = api.params(ctx);
    ModelVersion v = store.transitionStage(modelName(p, "name"), ApiSupport.version(p.string("version")),
        stage(p.string("stage")), p.bool("archive_existing_versions"));
    ObjectNode out = ProtoJson.object();
    out.set("model_version", ProtoJson.modelVersion(v));
    api.json(ctx, out);
  }

  private void downloadUri(Context ctx) {
    Params p = api.params(ctx);
    ModelVersion v = store.getModelVersion(modelName(p, "name"), ApiSupport.version(p.string("version")));
    ObjectNode out = ProtoJson.object();
    out.put("artifact_uri", v.source());
    api.json(ctx, out);
  }

  private void setVersionTag(Context ctx) {
    Params p = api.params(ctx);
    store.setModelVersionTag(modelName(p, "name"), ApiSupport.version(p.string("version")),
        ApiSupport.checkName("key", p.string("key"), 250),
        p.optString("value") == null ? "" : p.optString("value"));
    api.json(ctx, ProtoJson.object());
  }

  private void deleteVersionTag(Context ctx) {
    Params p = api.params(ctx);
    store.deleteModelVersionTag(modelName(p, "name"), ApiSupport.version(p.string("version")), p.string("key"));
    api.json(ctx, ProtoJson.object());
  }
}
