package io.vigil.serving;

import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;

/** Test configurations of the serving process. */
final class TestServing {

  private TestServing() {}

  static ServingConfig config(String model, Path workDir, boolean batching) {
    ServingConfig d = ServingConfig.defaults();
    return d.withGrpc(new ServingConfig.Grpc("127.0.0.1", 0, 4, 10_000, 4 * 1024 * 1024, 5,
        ServingConfig.defaults().grpc().flowControlWindowBytes()))
        .withMetrics(new ServingConfig.Metrics(false, "127.0.0.1", 0))
        .withModel(new ServingConfig.ModelSelection(model, "champion", null, null, 3600,
            workDir.toString(), 2, 10))
        .withBatching(new ServingConfig.Batching(batching, 16, 2_000, 256, 2))
        .withKafka(new ServingConfig.Kafka(false, "127.0.0.1:1", "vigil.predictions",
            "vigil.model-events", 1024));
  }

  static ServingServer.Parts inProcess(String name, ModelSource source, PredictionSink sink) {
    return new ServingServer.Parts(source, sink, InProcessServerBuilder.forName(name), null, null);
  }
}
