package io.vigil.labeling;

import io.vigil.labeling.store.Database;
import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Test data and test wiring. */
public final class Fixtures {

  public static final String SECRET = "test-session-secret-0123456789abcdef0123456789";
  public static final String ADMIN_PASSWORD = "admin-pass-for-tests";
  public static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  private Fixtures() {}

  /** A clock tests move by hand. */
  public static final class ManualClock implements java.util.function.LongSupplier {
    private final AtomicLong now;

    public ManualClock(long start) {
      now = new AtomicLong(start);
    }

    @Override
    public long getAsLong() {
      return now.get();
    }

    public void advance(long millis) {
      now.addAndGet(millis);
    }
  }

  public static Database database(Path dir) {
    return Database.open(new LabelingConfig.Db("jdbc:h2:file:" + dir.resolve("labels") + ";WRITE_DELAY=0",
        "sa", "", 8));
  }

  public static LabelingConfig config(Path dir, String bootstrapServers) {
    LabelingConfig d = LabelingConfig.defaults();
    LabelingConfig.Kafka k = bootstrapServers == null
        ? new LabelingConfig.Kafka(false, "", d.kafka().groupId(), d.kafka().labelRequestsTopic(),
            d.kafka().labelsTopic(), d.kafka().modelEventsTopic(), d.kafka().dlqTopic(),
            d.kafka().outboxMarkerTopic(), d.kafka().transactionalId(), 50)
        : new LabelingConfig.Kafka(true, bootstrapServers, d.kafka().groupId(), d.kafka().labelRequestsTopic(),
            d.kafka().labelsTopic(), d.kafka().modelEventsTopic(), d.kafka().dlqTopic(),
            d.kafka().outboxMarkerTopic(), d.kafka().transactionalId(), 50);
    return d.withServer(new LabelingConfig.Server("127.0.0.1", 0, false, 2))
        .withDb(new LabelingConfig.Db("jdbc:h2:file:" + dir.resolve("labels") + ";WRITE_DELAY=0", "sa", "", 8))
        .withKafka(k)
        .withSecurity(new LabelingConfig.Security(SECRET, 12, 10, "admin", ADMIN_PASSWORD, "", ""))
        .withQueue(new LabelingConfig.Queue(300, 0, 2));
  }

  public static LabelingServer.Options options() {
    return LabelingServer.Options.production().withPasswordIterations(1000);
  }

  public static LabelRequest request(String sampleId, String entity, double priority) {
    return request(sampleId, entity, priority, LabelReason.UNCERTAIN, null, Map.of("cpu", 0.6, "mem", 0.3));
  }

  public static LabelRequest request(String sampleId, String entity, double priority,
      LabelReason reason, String incidentId, Map<String, Double> attributions) {
    long windowEnd = T0 + 3_600_000L;
    long windowStart = windowEnd - 5 * 60_000L;
    List<ContextPoint> ctx = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      long t = windowEnd - (29 - i) * 60_000L;
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("cpu", 0.2 + (t >= windowStart ? 0.6 : 0.05 * Math.sin(i)));
      m.put("mem", 0.4 + 0.01 * i);
      m.put("disk_io", 0.1 + 0.02 * Math.cos(i));
      ctx.add(ContextPoint.newBuilder().setTime(Instant.ofEpochMilli(t)).setMetrics(m)
          .setInWindow(t >= windowStart).build());
    }
    Prediction p = Prediction.newBuilder()
        .setSampleId(sampleId).setEntity(entity)
        .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
        .setModelName("vigil-anomaly").setModelVersion("3").setScore(0.71).setUncertainty(0.48)
        .setThreshold(0.7).setAnomaly(true).setAttributions(attributions)
        .setPredictedAt(Instant.ofEpochMilli(windowEnd)).build();
    return LabelRequest.newBuilder()
        .setRequestId("req-" + sampleId).setSampleId(sampleId).setEntity(entity)
        .setWindowStart(Instant.ofEpochMilli(windowStart)).setWindowEnd(Instant.ofEpochMilli(windowEnd))
        .setReason(reason).setPriority(priority).setPrediction(p).setContext(ctx)
        .setIncidentId(incidentId).setCreatedAt(Instant.ofEpochMilli(windowEnd)).build();
  }
}
