package io.vigil.drift;

import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import io.vigil.schemas.wire.AvroBinaryWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link DriftReport} in Avro single-object encoding: the same bytes as {@code
 * AvroSerde.of(DriftReport.class).encode(r)} ({@code DriftReportWriterTest}), without Avro's
 * generic datum writer. A report carries one entry per profiled feature (308 on SMD's set), so the
 * generic path's per-value costs were a fifth of the drift job's window stage in a profile of
 * {@code vigil bench drift}; here the feature names, the same in every report of a model version,
 * are converted to UTF-8 once. Checks the schema's layout at construction ({@link
 * AvroBinaryWriter}). Not thread-safe; one instance per serializer.
 */
public final class DriftReportWriter {

  private static final String FEATURE_DRIFT = "FeatureDrift{feature:STRING,psi:DOUBLE,jensenShannon:DOUBLE,"
      + "ks:DOUBLE,wasserstein:DOUBLE,drifted:BOOLEAN}";

  /** The fields, in order, that {@link #encode} writes; checked against the generated schema. */
  private static final List<String> LAYOUT = List.of("modelName:STRING", "modelVersion:STRING",
      "windowStart:LONG", "windowEnd:LONG", "sampleCount:LONG", "features:ARRAY<" + FEATURE_DRIFT + ">",
      "driftedShare:DOUBLE", "score:UNION<NULL," + FEATURE_DRIFT + ">", "alarm:BOOLEAN",
      "alarmReason:UNION<NULL,STRING>", "estimatedPrecision:UNION<NULL,DOUBLE>",
      "estimatedRecall:UNION<NULL,DOUBLE>", "estimatedF1:UNION<NULL,DOUBLE>");

  /** Names kept in UTF-8; cleared when it holds more than this many (feature sets change rarely). */
  private static final int MAX_NAMES = 16_384;

  private final AvroBinaryWriter out = new AvroBinaryWriter(DriftReport.getClassSchema(), LAYOUT, "DriftReportWriter");
  private final Map<String, byte[]> names = new HashMap<>();

  /** The single-object encoding of {@code r}, in a new array. */
  public byte[] encode(DriftReport r) {
    out.startMessage();
    out.writeString(r.getModelName());
    out.writeString(r.getModelVersion());
    out.writeLong(r.getWindowStart().toEpochMilli());
    out.writeLong(r.getWindowEnd().toEpochMilli());
    out.writeLong(r.getSampleCount());
    List<FeatureDrift> features = r.getFeatures();
    if (!features.isEmpty()) {
      out.writeLong(features.size());
      for (FeatureDrift f : features) {
        write(f);
      }
    }
    out.writeLong(0);
    out.writeDouble(r.getDriftedShare());
    if (r.getScore() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      write(r.getScore());
    }
    out.writeBoolean(r.getAlarm());
    if (r.getAlarmReason() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeString(r.getAlarmReason());
    }
    optional(r.getEstimatedPrecision());
    optional(r.getEstimatedRecall());
    optional(r.getEstimatedF1());
    return out.toByteArray();
  }

  private void write(FeatureDrift f) {
    out.writeUtf8(utf8(f.getFeature()));
    out.writeDouble(f.getPsi());
    out.writeDouble(f.getJensenShannon());
    out.writeDouble(f.getKs());
    out.writeDouble(f.getWasserstein());
    out.writeBoolean(f.getDrifted());
  }

  private void optional(Double d) {
    if (d == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeDouble(d);
    }
  }

  private byte[] utf8(String name) {
    byte[] b = names.get(name);
    if (b == null) {
      if (names.size() >= MAX_NAMES) {
        names.clear();
      }
      b = name.getBytes(StandardCharsets.UTF_8);
      names.put(name, b);
    }
    return b;
  }
}
