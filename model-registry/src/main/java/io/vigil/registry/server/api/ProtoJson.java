package io.vigil.registry.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.registry.server.store.Entities.AliasChange;
import io.vigil.registry.server.store.Entities.Experiment;
import io.vigil.registry.server.store.Entities.Metric;
import io.vigil.registry.server.store.Entities.ModelVersion;
import io.vigil.registry.server.store.Entities.RegisteredModel;
import io.vigil.registry.server.store.Entities.Run;
import io.vigil.registry.server.store.Entities.RunInfo;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders stored values as the messages of {@code service.proto} and {@code model_registry.proto}
 * in proto3 JSON: snake_case field names, int64 as strings, enums by name.
 */
public final class ProtoJson {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private ProtoJson() {}

  public static ObjectNode object() {
    return F.objectNode();
  }

  public static ObjectNode experiment(Experiment e) {
    ObjectNode o = F.objectNode();
    o.put("experiment_id", Long.toString(e.id()));
    o.put("name", e.name());
    o.put("artifact_location", e.artifactLocation());
    o.put("lifecycle_stage", e.lifecycleStage());
    o.put("last_update_time", Long.toString(e.lastUpdateTime()));
    o.put("creation_time", Long.toString(e.creationTime()));
    o.set("tags", keyValues(e.tags()));
    return o;
  }

  public static ObjectNode runInfo(RunInfo r) {
    ObjectNode o = F.objectNode();
    o.put("run_id", r.runId());
    o.put("run_uuid", r.runId());
    o.put("run_name", r.runName());
    o.put("experiment_id", Long.toString(r.experimentId()));
    o.put("user_id", r.userId());
    o.put("status", r.status());
    o.put("start_time", Long.toString(r.startTime()));
    if (r.endTime() != null) {
      o.put("end_time", Long.toString(r.endTime()));
    }
    o.put("artifact_uri", r.artifactUri());
    o.put("lifecycle_stage", r.lifecycleStage());
    return o;
  }

  public static ObjectNode run(Run r) {
    ObjectNode o = F.objectNode();
    o.set("info", runInfo(r.info()));
    ObjectNode data = o.putObject("data");
    ArrayNode metrics = data.putArray("metrics");
    r.metrics().forEach(m -> metrics.add(metric(m)));
    data.set("params", keyValues(r.params()));
    data.set("tags", keyValues(r.tags()));
    o.putObject("inputs");
    return o;
  }

  public static ObjectNode metric(Metric m) {
    ObjectNode o = F.objectNode();
    o.put("key", m.key());
    if (Double.isNaN(m.value())) {
      o.put("value", "NaN");
    } else if (Double.isInfinite(m.value())) {
      o.put("value", m.value() > 0 ? "Infinity" : "-Infinity");
    } else {
      o.put("value", m.value());
    }
    o.put("timestamp", Long.toString(m.timestamp()));
    o.put("step", Long.toString(m.step()));
    return o;
  }

  public static ObjectNode registeredModel(RegisteredModel m, List<ModelVersion> latestVersions) {
    ObjectNode o = F.objectNode();
    o.put("name", m.name());
    o.put("creation_timestamp", Long.toString(m.creationTime()));
    o.put("last_updated_timestamp", Long.toString(m.lastUpdatedTime()));
    if (m.userId() != null) {
      o.put("user_id", m.userId());
    }
    if (m.description() != null) {
      o.put("description", m.description());
    }
    ArrayNode latest = o.putArray("latest_versions");
    latestVersions.forEach(v -> latest.add(modelVersion(v)));
    o.set("tags", keyValues(m.tags()));
    ArrayNode aliases = o.putArray("aliases");
    new TreeMap<>(m.aliases()).forEach((alias, version) -> {
      ObjectNode a = aliases.addObject();
      a.put("alias", alias);
      a.put("version", Integer.toString(version));
    });
    return o;
  }

  public static ObjectNode modelVersion(ModelVersion v) {
    ObjectNode o = F.objectNode();
    o.put("name", v.name());
    o.put("version", Integer.toString(v.version()));
    o.put("creation_timestamp", Long.toString(v.creationTime()));
    o.put("last_updated_timestamp", Long.toString(v.lastUpdatedTime()));
    if (v.userId() != null) {
      o.put("user_id", v.userId());
    }
    o.put("current_stage", v.currentStage());
    if (v.description() != null) {
      o.put("description", v.description());
    }
    o.put("source", v.source());
    if (v.runId() != null) {
      o.put("run_id", v.runId());
    }
    o.put("status", v.status());
    if (v.statusMessage() != null) {
      o.put("status_message", v.statusMessage());
    }
    o.set("tags", keyValues(v.tags()));
    if (v.runLink() != null) {
      o.put("run_link", v.runLink());
    }
    ArrayNode aliases = o.putArray("aliases");
    v.aliases().forEach(aliases::add);
    return o;
  }

  public static ObjectNode aliasChange(AliasChange c) {
    ObjectNode o = F.objectNode();
    o.put("name", c.name());
    o.put("alias", c.alias());
    if (c.version() != null) {
      o.put("version", Integer.toString(c.version()));
    }
    if (c.previousVersion() != null) {
      o.put("previous_version", Integer.toString(c.previousVersion()));
    }
    o.put("actor", c.actor());
    if (c.reason() != null) {
      o.put("reason", c.reason());
    }
    o.put("timestamp", Long.toString(c.timestamp()));
    return o;
  }

  public static ArrayNode keyValues(Map<String, String> map) {
    ArrayNode a = F.arrayNode();
    new TreeMap<>(map).forEach((k, v) -> {
      ObjectNode kv = a.addObject();
      kv.put("key", k);
      kv.put("value", v);
    });
    return a;
  }
}
