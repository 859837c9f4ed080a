package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.vigil.datasets.Dataset;
import io.vigil.datasets.DatasetOptions;
import io.vigil.datasets.Interleaved;
import io.vigil.embedded.EmbeddedS3;
import io.vigil.embedded.junit.KafkaBrokerExtension;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.features.FeatureSet;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Checkpoints and the offline archive on the embedded S3 server, through Flink's S3 file system. */
class FeatureArchiveOnS3IT {

  @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @RegisterExtension
  static final MiniClusterExtension FLINK = new MiniClusterExtension(
      new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

  @Test
  void archiveHoldsEveryVectorAsAvroFilesPartitionedByHourAndCheckpointsLandInS3() throws Exception {
    EmbeddedS3 s3 = S3.s3();
    MinioClient minio = MinioClient.builder().endpoint(s3.endpoint())
        .credentials(s3.accessKey(), s3.secretKey()).region("us-east-1").build();
    minio.makeBucket(MakeBucketArgs.builder().bucket("vigil-features").build());
    minio.makeBucket(MakeBucketArgs.builder().bucket("vigil-checkpoints").build());

    FeatureJobConfig d = FeatureJobConfig.defaults();
    FeatureJobConfig cfg = new FeatureJobConfig("archive", KAFKA.bootstrapServers(), "a.telemetry",
        "a.features", "a.dlq", "a-group", "a-tx", Duration.ofMinutes(5), null, Duration.ofMinutes(2),
        Duration.ofSeconds(5), Duration.ofMillis(500), "s3://vigil-checkpoints/feature-pipeline",
        "s3://vigil-features/archive", new FeatureJobConfig.S3(s3.endpoint(), s3.accessKey(), s3.secretKey(), true),
        1e15, false, 2);
    try (Admin admin = KAFKA.kafka().admin()) {
      admin.createTopics(List.of(new NewTopic("a.telemetry", 2, (short) 1), new NewTopic("a.features", 1, (short) 1),
          new NewTopic("a.dlq", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Path demo = Path.of(System.getProperty("vigil.repo.dir", "..")).resolve("demo/smd");
    Dataset ds = Dataset.open(demo, DatasetOptions.defaults().withEntities(Set.of("machine-1-2")));
    AvroSerde<TelemetrySample> serde = AvroSerde.of(TelemetrySample.class);
    long sent = 0;
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers", KAFKA.bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      Interleaved it = new Interleaved(ds.entities());
      while (it.hasNext()) {
        Interleaved.EntityRow r = it.next();
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < r.series().metricNames().size(); i++) {
          m.put(r.series().metricNames().get(i), r.row().values()[i]);
        }
        p.send(new ProducerRecord<>("a.telemetry", r.series().entity().getBytes(StandardCharsets.UTF_8),
            serde.encode(TelemetrySample.newBuilder().setEntity(r.series().entity()).setEventTime(r.row().time())
                .setMetrics(m).setSequence(r.row().sequence()).build())));
        sent++;
      }
    }

    Configuration flinkConf = FeatureJob.flinkConfiguration(cfg);
    FileSystem.initialize(flinkConf, null);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
    FeatureJob.configure(env, cfg);
    FeatureSet set = FeatureSet.smdDefault();
    FeatureJob.build(env, cfg, set, FeatureJob.kafkaSource(cfg, set, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), FeatureJob.archiveSink(cfg));
    env.execute("archive");

    Set<String> ids = new HashSet<>();
    Set<String> buckets = new HashSet<>();
    for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket("vigil-features")
        .prefix("archive/").recursive(true).build())) {
      String name = r.get().objectName();
      if (name.contains("/.") || name.contains("inprogress")) {
        continue;
      }
      assertThat(name).matches("archive/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/part-.*");
      buckets.add(name.substring(0, name.lastIndexOf('/')));
      try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket("vigil-features").object(name).build());
          DataFileStream<FeatureVector> avro = new DataFileStream<>(in, new SpecificDatumReader<>(FeatureVector.class))) {
        for (FeatureVector v : avro) {
          assertThat(ids.add(v.getSampleId())).as("duplicate %s", v.getSampleId()).isTrue();
        }
      }
    }
    assertThat(ids).hasSize((int) sent);
    assertThat(buckets.size()).isGreaterThan(24);
    boolean checkpoints = false;
    for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket("vigil-checkpoints")
        .prefix("feature-pipeline/").recursive(true).build())) {
      checkpoints |= r.get().objectName().contains("/chk-") || r.get().objectName().contains("/shared");
    }
    assertThat(checkpoints).as("checkpoint files in S3").isTrue();
  }
}
