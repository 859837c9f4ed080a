package io.vigil.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.vigil.features.FeatureSet;
import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.FeatureVector;
import java.nio.file.Path;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every record that crosses the network between the job's operators has a serializer of its own: no Kryo. */
class FeatureJobTypesTest {

  @Test
  void recordsBetweenOperatorsAreFlinkPojosOrAvroRecords() {
    assertThat(TypeInformation.of(DecodedSample.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(TypeInformation.of(PendingSamples.class)).isInstanceOf(PojoTypeInfo.class);
    assertThat(TypeInformation.of(DeadLetter.class)).isNotInstanceOf(GenericTypeInfo.class);
    assertThat(TypeInformation.of(FeatureVector.class)).isNotInstanceOf(GenericTypeInfo.class);
  }

  @Test
  void theWholeJobGraphBuildsWithKryoDisabled(@TempDir Path tmp) {
    FeatureJobConfig d = FeatureJobConfig.defaults();
    FeatureJobConfig cfg = new FeatureJobConfig("types", "127.0.0.1:1", "t", "f", "dlq", "g", "tx",
        d.transactionTimeout(), null, d.outOfOrderness(), d.idleness(), d.checkpointInterval(),
        tmp.resolve("cp").toUri().toString(), tmp.resolve("archive").toUri().toString(), null, 1e15, false, 2);
    FeatureSet set = FeatureSet.smdDefault();
    // a type falling back to Kryo makes creating its serializer throw while the graph is generated
    Configuration noKryo = new Configuration();
    noKryo.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noKryo);
    FeatureJob.configure(env, cfg);
    assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();
    FeatureJob.build(env, cfg, set, FeatureJob.kafkaSource(cfg, set, true), FeatureJob.featureSink(cfg),
        FeatureJob.dlqSink(cfg), FeatureJob.archiveSink(cfg));
    assertThatCode(env::getStreamGraph).doesNotThrowAnyException();
  }
}
