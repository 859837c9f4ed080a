package io.vigil.cli.loop;

import static java.util.Objects.requireNonNull;

import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.topics.TopicNames;
import io.vigil.schemas.topics.VigilTopic;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Lineage across the loop, joined on the deterministic sample id: what the topics hold about one
 * sample, and which registered model versions learned from it (their label snapshot).
 */
public final class Lineage implements AutoCloseable {

  public static final String DEFAULT_MODEL = "anomaly-detector";

  /** A model version that learned from a sample. */
  public record VersionRef(String model, String version, String labelSnapshot) {}

  /** Everything known about one sample, each list in topic order. */
  public record SampleTrace(String sampleId, List<FeatureVector> features, List<Prediction> predictions,
      List<LabelRequest> requests, List<LabelEvent> labels, List<VersionRef> learnedBy) {
    public boolean isEmpty() {
      return features.isEmpty() && predictions.isEmpty() && requests.isEmpty() && labels.isEmpty();
    }
  }

  private final TopicReader reader;
  private final TopicNames topics;
  private final ModelLineage models;

  /**
   * @param models null to leave out which versions learned from the sample
   */
  public Lineage(String bootstrapServers, TopicNames topics, ModelLineage models) {
    this.reader = new TopicReader(requireNonNull(bootstrapServers, "bootstrapServers"));
    this.topics = requireNonNull(topics, "topics");
    this.models = models;
  }

  public SampleTrace sample(String sampleId) {
    List<FeatureVector> features = new ArrayList<>();
    scan(VigilTopic.FEATURES, FeatureVector.class, false, sampleId,
        f -> f.getSampleId().toString().equals(sampleId), features::add);
    List<Prediction> predictions = new ArrayList<>();
    scan(VigilTopic.PREDICTIONS, Prediction.class, false, sampleId,
        p -> p.getSampleId().toString().equals(sampleId), predictions::add);
    predictions.sort(Comparator.comparing(Prediction::getPredictedAt));
    List<LabelRequest> requests = new ArrayList<>();
    scan(VigilTopic.LABEL_REQUESTS, LabelRequest.class, true, sampleId,
        r -> r.getSampleId().toString().equals(sampleId), requests::add);
    List<LabelEvent> labels = new ArrayList<>();
    scan(VigilTopic.LABELS, LabelEvent.class, true, sampleId,
        l -> l.getSampleId().toString().equals(sampleId), labels::add);
    List<VersionRef> learned = models == null ? List.of() : models.versionsLearnedFrom(sampleId);
    return new SampleTrace(sampleId, features, predictions, requests, labels, learned);
  }

  /** The label snapshot and sample ids a model version learned from (empty ids for a cold-start version). */
  public ModelLineage.VersionLineage version(String version) {
    if (models == null) {
      throw new IllegalStateException("no registry configured");
    }
    return models.version(version);
  }

  private <T extends SpecificRecordBase> void scan(VigilTopic topic, Class<T> type, boolean keyedBySample,
      String sampleId, java.util.function.Predicate<T> match, Consumer<T> out) {
    AvroSerde<T> serde = AvroSerde.of(type);
    byte[] key = sampleId.getBytes(StandardCharsets.UTF_8);
    reader.readAll(topics.name(topic), (ConsumerRecord<byte[], byte[]> r) -> {
      if (keyedBySample && (r.key() == null || !java.util.Arrays.equals(r.key(), key))) {
        return;
      }
      if (r.value() == null) {
        return;
      }
      T value;
      try {
        value = serde.decode(r.value());
      } catch (RuntimeException unreadable) {
        return; // the producers dead-letter what they cannot write; nothing to trace here
      }
      if (match.test(value)) {
        out.accept(value);
      }
    });
  }

  @Override
  public void close() {
    reader.close();
    if (models != null) {
      models.close();
    }
  }
}
