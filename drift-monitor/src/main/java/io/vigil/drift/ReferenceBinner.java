package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import io.vigil.features.FeatureSet;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Bins each joined sample against its model version's cached reference histograms, so the window
 * aggregate only adds counts. Feature names come from the vector, or — when the producer omitted
 * them — from the configured feature set (the vector's feature-set version must match it). Samples
 * that cannot be binned go to the dead-letter side output: {@code NO_REFERENCE} (the version or
 * its profile is missing, or the registry is unreachable; retried after {@code retryAfter}), {@code
 * UNKNOWN_FEATURE_SET}, {@code REFERENCE_MISMATCH} (the profile names features the vectors lack).
 */
public final class ReferenceBinner extends ProcessFunction<DriftInput, BinnedSample> {
  private static final long serialVersionUID = 1L;

  /** Samples that cannot be binned. */
  public static final OutputTag<DriftInput> UNBINNABLE =
      new OutputTag<>("unbinnable", TypeInformation.of(DriftInput.class));

  private final ReferenceSource source;
  private final String setYaml;
  private transient FeatureSet set;
  private final long retryAfterMillis;
  private transient ReferenceCache cache;
  private transient List<String> setNames;
  private transient String setVersion;
  private transient Counter refused;
  private transient byte[] side;
  private transient double[] values;
  /** The last model version binned against the configured feature set (skips the cache's key building). */
  private transient String lastName;
  private transient String lastVersion;
  private transient ReferenceModel lastSetModel;

  public ReferenceBinner(ReferenceSource source, FeatureSet set, long retryAfterMillis) {
    this.source = requireNonNull(source, "source");
    this.setYaml = requireNonNull(set, "set").toYaml();
    this.retryAfterMillis = retryAfterMillis;
  }

  @Override
  public void open(OpenContext ctx) {
    set = FeatureSet.parse(setYaml);
    source.open();
    cache = new ReferenceCache(source, new FeatureMetrics(set.metrics()), retryAfterMillis, System::currentTimeMillis);
    setNames = set.featureNames();
    setVersion = set.version();
    refused = getRuntimeContext().getMetricGroup().counter("unbinnableSamples");
    getRuntimeContext().getMetricGroup().gauge("referenceFetches", () -> cache.fetches());
  }

  @Override
  public void close() {
    source.close();
  }

  @Override
  public void processElement(DriftInput s, Context ctx, Collector<BinnedSample> out) {
    ReferenceModel ref;
    try {
      if (s.names != null) {
        ref = cache.model(s.modelName, s.modelVersion, "names:" + Arrays.hashCode(s.names) + ":" + s.names.length,
            Arrays.asList(s.names));
      } else if (setVersion.equals(s.featureSetVersion) && setNames.size() == s.values.length) {
        if (lastSetModel != null && s.modelName.equals(lastName) && s.modelVersion.equals(lastVersion)) {
          ref = lastSetModel;
        } else {
          ref = cache.model(s.modelName, s.modelVersion, "set:" + setVersion, setNames);
          lastName = s.modelName;
          lastVersion = s.modelVersion;
          lastSetModel = ref;
        }
      } else {
        refuse(s, ctx, "UNKNOWN_FEATURE_SET", "vector " + s.sampleId + " has no feature names and feature set "
            + s.featureSetVersion + " (" + s.values.length + " values) is not the configured " + setVersion);
        return;
      }
    } catch (ReferenceModel.ReferenceMismatchException e) {
      refuse(s, ctx, "REFERENCE_MISMATCH", e.getMessage());
      return;
    } catch (ReferenceSource.ReferenceUnavailableException e) {
      refuse(s, ctx, "NO_REFERENCE", e.getMessage());
      return;
    }
    BinnedSample b = new BinnedSample();
    b.modelName = s.modelName;
    b.modelVersion = s.modelVersion;
    b.time = s.time;
    int n = ref.featureCount() + 1;
    b.cells = new int[n];
    if (side == null || side.length < n) {
      side = new byte[n];
      values = new double[n];
    }
    ref.bin(s.values, s.score, b.cells, side, values);
    int outOfRange = 0;
    for (int i = 0; i < n; i++) {
      outOfRange += side[i] != 0 ? 1 : 0;
    }
    b.outside = new int[outOfRange];
    b.outsideValues = new double[outOfRange];
    for (int i = 0, k = 0; i < n; i++) {
      if (side[i] != 0) {
        b.outside[k] = side[i] > 0 ? i : -(i + 1);
        b.outsideValues[k++] = values[i];
      }
    }

    b.totalCells = ref.totalCells();
    b.probability = s.probability;
    b.anomaly = s.anomaly;
    out.collect(b);
  }

  private void refuse(DriftInput s, Context ctx, String code, String reason) {
    refused.inc();
    DriftInput r = DriftInput.refused("joined-sample", -1, -1, null, null, code,
        "sample " + s.sampleId + " of model " + s.modelName + " version " + s.modelVersion + ": " + reason);
    r.sampleId = s.sampleId;
    r.entity = s.entity;
    ctx.output(UNBINNABLE, r);
  }
}
