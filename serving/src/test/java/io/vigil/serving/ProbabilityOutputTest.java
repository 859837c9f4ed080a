package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.inference.Predictor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.vigil.embedded.junit.Await;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openinference.client.v2.GRPCInferenceServiceGrpc;
import org.openinference.client.v2.PublishedPredictV2;

/**
 * A model with a supervised head, served over the real Netty transport: its metadata lists the
 * extra output {@code probability}, inference returns the probability the model computes, and the
 * prediction log records it.
 */
class ProbabilityOutputTest {

  @TempDir Path dir;

  static final int COLS = TestRegistry.FEATURES.size();

  @Test
  void aModelWithAHeadReturnsItsCalibratedProbabilityOverGrpc() throws Exception {
    ModelSpec spec = TestRegistry.spec(9).withHead(new ModelSpec.Head(2, List.of(0.0, 0.3, 0.2),
        List.of(1.0, 0.2, 0.1), List.of(1.5, 0.5, -0.5), -0.5, 1.1, 0.2, 0.5));
    LocalModelSource source = new LocalModelSource(dir.resolve("models"));
    source.add("headed", "1", spec, "champion");
    float[] v = Requests.rows(4, COLS, 21);
    ScoreBatch expected;
    try (ModelArtifact m = ModelArtifacts.load(dir.resolve("models/headed-1"));
        Predictor<FeatureBatch, ScoreBatch> p = m.newPredictor()) {
      expected = p.predict(new FeatureBatch(v, 4, COLS));
    }
    RecordingSink sink = new RecordingSink();
    try (ServingServer server = ServingServer.start(TestServing.config("headed", dir.resolve("work"), true),
        new ServingServer.Parts(source, sink, null, null, null, List.of()))) {
      ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
          InsecureChannelCredentials.create()).build();
      try {
        var oip = GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        PublishedPredictV2.ModelMetadataResponse md = oip.modelMetadata(
            PublishedPredictV2.ModelMetadataRequest.newBuilder().setName("headed").build());
        assertThat(md.getOutputsList()).extracting(PublishedPredictV2.ModelMetadataResponse.TensorMetadata::getName)
            .containsExactly("score", "uncertainty", "attributions", "probability");

        PublishedPredictV2.InferTensorContents.Builder contents = PublishedPredictV2.InferTensorContents.newBuilder();
        for (float f : v) {
          contents.addFp32Contents(f);
        }
        PublishedPredictV2.ModelInferResponse r = oip.modelInfer(PublishedPredictV2.ModelInferRequest.newBuilder()
            .setModelName("headed")
            .addInputs(PublishedPredictV2.ModelInferRequest.InferInputTensor.newBuilder().setName("features")
                .setDatatype("FP32").addShape(4).addShape(COLS).setContents(contents))
            .addOutputs(PublishedPredictV2.ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName("probability"))
            .addOutputs(PublishedPredictV2.ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName("uncertainty"))
            .build());
        assertThat(r.getOutputsCount()).isEqualTo(2);
        assertThat(r.getOutputs(0).getName()).isEqualTo("probability");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(4L);
        assertThat(floats(r, 0)).containsExactly(expected.probability(), Offset.offset(1e-6f));
        assertThat(floats(r, 1)).containsExactly(expected.uncertainty(), Offset.offset(1e-6f));
        for (float p : floats(r, 0)) {
          assertThat(p).isBetween(0f, 1f);
        }

        // the prediction log keeps the probability too (the label-free performance estimate reads it)
        Await.until(java.time.Duration.ofSeconds(5), "four log entries", () -> sink.entries.size() == 4);
        for (int i = 0; i < 4; i++) {
          PredictionEntry e = sink.entries.get(i);
          assertThat(e.probability()).isCloseTo(expected.probability()[i], Offset.offset(1e-6f));
          assertThat(KafkaPredictionSink.toRecord(e).getProbability())
              .isCloseTo(expected.probability()[i], Offset.offset(1e-6));
        }
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static float[] floats(PublishedPredictV2.ModelInferResponse r, int output) {
    List<Float> l = r.getOutputs(output).getContents().getFp32ContentsList();
    float[] out = new float[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }
}
