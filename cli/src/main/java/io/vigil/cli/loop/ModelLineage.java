package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.registry.client.ModelVersionInfo;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.client.RegistryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The model side of lineage: for each registered version of a model, the label snapshot it was
 * trained with and the labelled sample ids it learned from — the lineage record the retraining run
 * uploaded to its registry run ({@value #LINEAGE_TAG} names it; {@code labelled} and {@code holdout}
 * entries with sample id, label and label event id). A cold-start version has none.
 */
public final class ModelLineage implements AutoCloseable {

  static final String LINEAGE_TAG = "vigil.lineage_artifact";
  static final String SNAPSHOT_TAG = "vigil.label_snapshot";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One labelled sample a version saw: in training, or only in the hold-out it was judged on. */
  public record LearnedSample(String sampleId, String label, String labelEventId, boolean holdout) {}

  /** What one version learned from. */
  public record VersionLineage(String model, String version, String runId, String labelSnapshot,
      List<LearnedSample> samples) {}

  private final RegistryClient registry;
  private final String modelName;
  private final boolean owned;

  public ModelLineage(RegistryClient registry, String modelName, boolean closeRegistry) {
    this.registry = requireNonNull(registry, "registry");
    this.modelName = requireNonNull(modelName, "modelName");
    this.owned = closeRegistry;
  }

  /** Every version, oldest first (versions are numbered from 1 without gaps). */
  public List<ModelVersionInfo> versions() {
    List<ModelVersionInfo> out = new ArrayList<>();
    for (int v = 1; ; v++) {
      try {
        out.add(registry.version(modelName, Integer.toString(v)));
      } catch (RegistryException e) {
        if (e.isNotFound()) {
          return out;
        }
        throw e;
      }
    }
  }

  public VersionLineage version(String version) {
    return lineage(registry.version(modelName, version));
  }

  /** Versions that learned from the sample (or held it out to be judged on). */
  public List<Lineage.VersionRef> versionsLearnedFrom(String sampleId) {
    List<Lineage.VersionRef> out = new ArrayList<>();
    for (ModelVersionInfo v : versions()) {
      VersionLineage l = lineage(v);
      for (LearnedSample s : l.samples()) {
        if (s.sampleId().equals(sampleId)) {
          out.add(new Lineage.VersionRef(modelName, v.version(), l.labelSnapshot()
              + (s.holdout() ? ", held out for the champion comparison" : ", trained on label " + s.label())));
        }
      }
    }
    return out;
  }

  private VersionLineage lineage(ModelVersionInfo v) {
    String artifact = v.tags().get(LINEAGE_TAG);
    String snapshot = v.tags().getOrDefault(SNAPSHOT_TAG, "none (cold start)");
    if (artifact == null || v.runId().isEmpty()) {
      return new VersionLineage(modelName, v.version(), v.runId(), snapshot, List.of());
    }
    JsonNode doc;
    try {
      doc = JSON.readTree(registry.readArtifact(v.runId(), artifact));
    } catch (IOException e) {
      throw new UncheckedIOException("the lineage record of version " + v.version() + " is not JSON", e);
    }
    List<LearnedSample> samples = new ArrayList<>();
    add(samples, doc.path("labelled"), false);
    add(samples, doc.path("holdout"), true);
    return new VersionLineage(modelName, v.version(), v.runId(), doc.path("labelSnapshot").asText(snapshot), samples);
  }

  private static void add(List<LearnedSample> out, JsonNode entries, boolean holdout) {
    for (JsonNode e : entries) {
      out.add(new LearnedSample(e.path("sampleId").asText(), e.path("label").asText(),
          e.path("eventId").asText(), holdout));
    }
  }

  @Override
  public void close() {
    if (owned) {
      registry.close();
    }
  }
}
