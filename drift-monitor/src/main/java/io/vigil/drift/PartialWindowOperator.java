package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Bins each joined sample against its model version's cached reference histograms and adds it into
 * this subtask's part of the sample's drift window ({@link PartialWindow}): the window stage then
 * merges a few parts per window instead of taking every sample through a network shuffle. A part
 * goes out when the watermark passes its window's end, before the watermark itself, so the window
 * stage has every part before it closes the window. A sample whose window this subtask has already
 * sent goes out alone at once (the window stage decides whether it is late, as it did for every
 * sample). The open parts are operator state, written on every checkpoint as their sparse bytes
 * ({@link PartialWindowSerializer}'s format, state {@code partial-windows-bytes}): a list of parts
 * as objects would be deep-copied on the task thread at every checkpoint, dense arrays of every
 * open part allocated and filled, and in the bench that copy was a sixth of the operator's time. A
 * snapshot of a build before that (state {@code partial-windows}, the objects) is still read. After
 * a restore (at any parallelism) each part is merged back and sent when the watermark passes its end.
 *
 * <p>Feature names come from the vector, or — when the producer omitted them — from the configured
 * feature set (the vector's feature-set version must match it). Samples that cannot be binned go to
 * the {@link #UNBINNABLE} side output: {@code NO_REFERENCE} (the version or its profile is missing,
 * or the registry is unreachable; retried after {@code retryAfter}), {@code UNKNOWN_FEATURE_SET},
 * {@code REFERENCE_MISMATCH} (the profile names features the vectors lack). Metrics: {@code
 * unbinnableSamples}, {@code referenceFetches}, {@code openPartialWindows}.
 */
public final class PartialWindowOperator extends AbstractStreamOperator<PartialWindow>
    implements OneInputStreamOperator<DriftInput, PartialWindow> {
  private static final long serialVersionUID = 1L;

  /** Samples that cannot be binned. */
  public static final OutputTag<DriftInput> UNBINNABLE =
      new OutputTag<>("unbinnable", TypeInformation.of(DriftInput.class));

  private final ReferenceSource source;
  private final String setYaml;
  private final long windowMillis;
  private final long retryAfterMillis;

  private transient ReferenceCache cache;
  private transient List<String> setNames;
  private transient String setVersion;
  private transient Counter refused;
  /** The last model version binned against the configured feature set (skips the cache's key building). */
  private transient String lastName;
  private transient String lastVersion;
  private transient ReferenceModel lastSetModel;
  private transient Map<Key, PartialWindow> open;
  /** Open parts as checkpointed by builds before 2026-11-28: read on restore, then kept empty. */
  private transient ListState<PartialWindow> checkpointedObjects;
  private transient ListState<byte[]> checkpointed;
  private transient PartialWindowSerializer serializer;
  private transient DataOutputSerializer buffer;
  private transient long watermark;

  private record Key(String modelName, String modelVersion, long windowStart) {}

  public PartialWindowOperator(ReferenceSource source, FeatureSet set, Duration window, long retryAfterMillis) {
    this.source = requireNonNull(source, "source");
    this.setYaml = requireNonNull(set, "set").toYaml();
    this.windowMillis = requireNonNull(window, "window").toMillis();
    this.retryAfterMillis = retryAfterMillis;
  }

  @Override
  public void initializeState(StateInitializationContext ctx) throws Exception {
    super.initializeState(ctx);
    open = new HashMap<>();
    watermark = Long.MIN_VALUE;
    serializer = new PartialWindowSerializer();
    buffer = new DataOutputSerializer(64 * 1024);
    checkpointedObjects = ctx.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("partial-windows", PartialWindowSerializer.TYPE));
    checkpointed = ctx.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("partial-windows-bytes", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    for (PartialWindow p : checkpointedObjects.get()) {
      mergeBack(p);
    }
    for (byte[] bytes : checkpointed.get()) {
      mergeBack(serializer.deserialize(new DataInputDeserializer(bytes)));
    }
  }

  private void mergeBack(PartialWindow p) {
    open.computeIfAbsent(new Key(p.modelName, p.modelVersion, p.windowStart),
        k -> new PartialWindow(k.modelName(), k.modelVersion(), k.windowStart())).acc.merge(p.acc);
  }

  @Override
  public void snapshotState(StateSnapshotContext ctx) throws Exception {
    super.snapshotState(ctx);
    List<byte[]> parts = new ArrayList<>(open.size());
    for (PartialWindow p : open.values()) {
      buffer.clear();
      serializer.serialize(p, buffer);
      parts.add(buffer.getCopyOfBuffer());
    }
    checkpointedObjects.clear();
    checkpointed.update(parts);
  }

  @Override
  public void open() throws Exception {
    super.open();
    FeatureSet set = FeatureSet.parse(setYaml);
    source.open();
    cache = new ReferenceCache(source, new FeatureMetrics(set.metrics()), retryAfterMillis, System::currentTimeMillis);
    setNames = set.featureNames();
    setVersion = set.version();
    var g = getRuntimeContext().getMetricGroup();
    refused = g.counter("unbinnableSamples");
    g.gauge("referenceFetches", () -> cache.fetches());
    g.gauge("openPartialWindows", () -> open.size());
  }

  @Override
  public void close() throws Exception {
    try {
      source.close();
    } finally {
      super.close();
    }
  }

  @Override
  public void processElement(StreamRecord<DriftInput> record) {
    DriftInput s = record.getValue();
    ReferenceModel ref = reference(s, record);
    if (ref == null) {
      return;
    }
    long start = TimeWindow.getWindowStartWithOffset(s.time, 0, windowMillis);
    if (start + windowMillis - 1 <= watermark) {
      // this subtask has sent the window's part already: the sample goes on alone
      PartialWindow late = new PartialWindow(s.modelName, s.modelVersion, start);
      ref.addTo(late.acc, s.values, s.score, s.probability, s.anomaly);
      output.collect(new StreamRecord<>(late, s.time));
      return;
    }
    Key key = new Key(s.modelName, s.modelVersion, start);
    PartialWindow p = open.get(key);
    if (p == null) {
      p = new PartialWindow(s.modelName, s.modelVersion, start);
      open.put(key, p);
    }
    ref.addTo(p.acc, s.values, s.score, s.probability, s.anomaly);
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    long t = mark.getTimestamp();
    if (t > watermark) {
      watermark = t;
      List<PartialWindow> due = new ArrayList<>();
      for (Iterator<PartialWindow> it = open.values().iterator(); it.hasNext(); ) {
        PartialWindow p = it.next();
        if (p.windowStart + windowMillis - 1 <= t) {
          due.add(p);
          it.remove();
        }
      }
      due.sort(Comparator.comparingLong((PartialWindow p) -> p.windowStart).thenComparing(PartialWindow::modelKey));
      for (PartialWindow p : due) {
        output.collect(new StreamRecord<>(p, p.windowStart + windowMillis - 1));
      }
    }
    super.processWatermark(mark);
  }

  /** The sample's reference, or null when it cannot be binned (then it went to {@link #UNBINNABLE}). */
  private ReferenceModel reference(DriftInput s, StreamRecord<DriftInput> record) {
    try {
      if (s.names != null) {
        return cache.model(s.modelName, s.modelVersion, "names:" + Arrays.hashCode(s.names) + ":" + s.names.length,
            Arrays.asList(s.names));
      }
      if (setVersion.equals(s.featureSetVersion) && setNames.size() == s.values.length) {
        if (lastSetModel == null || !s.modelName.equals(lastName) || !Objects.equals(s.modelVersion, lastVersion)) {
          lastSetModel = cache.model(s.modelName, s.modelVersion, "set:" + setVersion, setNames);
          lastName = s.modelName;
          lastVersion = s.modelVersion;
        }
        return lastSetModel;
      }
      refuse(s, record, "UNKNOWN_FEATURE_SET", "vector " + s.sampleId + " has no feature names and feature set "
          + s.featureSetVersion + " (" + s.values.length + " values) is not the configured " + setVersion);
    } catch (ReferenceModel.ReferenceMismatchException e) {
      refuse(s, record, "REFERENCE_MISMATCH", e.getMessage());
    } catch (ReferenceSource.ReferenceUnavailableException e) {
      refuse(s, record, "NO_REFERENCE", e.getMessage());
    }
    return null;
  }

  private void refuse(DriftInput s, StreamRecord<DriftInput> record, String code, String reason) {
    refused.inc();
    DriftInput r = DriftInput.refused("joined-sample", -1, -1, null, null, code,
        "sample " + s.sampleId + " of model " + s.modelName + " version " + s.modelVersion + ": " + reason);
    r.sampleId = s.sampleId;
    r.entity = s.entity;
    output.collect(UNBINNABLE, new StreamRecord<>(r, record.getTimestamp()));
  }
}
