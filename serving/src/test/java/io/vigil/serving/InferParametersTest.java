package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.vigil.embedded.junit.Await;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The answer's parameters (the model's threshold, the alias, the feature-set version) and the
 * request parameter {@code log_prediction}, over an in-process channel against a real DJL model.
 */
class InferParametersTest {

  @TempDir static Path dir;
  static final String MODEL = "params-model";
  static final int COLS = TestRegistry.FEATURES.size();
  static final RecordingSink SINK = new RecordingSink();
  static ServingServer server;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

  @BeforeAll
  static void start() {
    LocalModelSource source = new LocalModelSource(dir.resolve("models"));
    source.add(MODEL, "1", 3, "champion");
    server = ServingServer.start(TestServing.config(MODEL, dir.resolve("work"), true),
        TestServing.inProcess("params", source, SINK));
    channel = InProcessChannelBuilder.forName("params").build();
    stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  static ModelInferRequest request(String sampleId) {
    return Requests.withSampleIds(Requests.raw(MODEL, Requests.rows(1, COLS, 1), 1, COLS), "host", sampleId);
  }

  @Test
  void theAnswerCarriesTheThresholdTheAliasAndTheFeatureSetVersion() {
    ModelInferResponse r = stub.modelInfer(request("s-params-1"));
    assertThat(r.getParametersMap().get("threshold").getDoubleParam())
        .isEqualTo(TestRegistry.spec(3).scale().threshold());
    assertThat(r.getParametersMap().get("model_alias").getStringParam()).isEqualTo("champion");
    assertThat(r.getParametersMap().get("feature_set_version").getStringParam()).isEqualTo("fs-test-1");
  }

  @Test
  void logPredictionFalseSkipsThePredictionLogAndTheDefaultLogs() {
    stub.modelInfer(request("s-logged"));
    stub.modelInfer(request("s-not-logged").toBuilder()
        .putParameters("log_prediction", InferParameter.newBuilder().setBoolParam(false).build()).build());
    stub.modelInfer(request("s-logged-too").toBuilder()
        .putParameters("log_prediction", InferParameter.newBuilder().setBoolParam(true).build()).build());
    Await.until(Duration.ofSeconds(10), "two logged answers",
        () -> SINK.entries.stream().filter(e -> e.sampleId().startsWith("s-logged")).count() == 2);
    assertThat(SINK.entries).extracting(PredictionEntry::sampleId).doesNotContain("s-not-logged");
  }

  @Test
  void anAnswerWithoutAttributionsLeavesThemOutButTheLogKeepsThem() {
    ModelInferResponse all = stub.modelInfer(request("s-all-outputs"));
    ModelInferResponse lean = stub.modelInfer(request("s-score-only").toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("score")).build());
    assertThat(lean.getOutputsList()).extracting(o -> o.getName()).containsExactly("score");
    assertThat(Requests.output(lean, "score")).containsExactly(Requests.output(all, "score"));
    Await.until(Duration.ofSeconds(10), "the score-only answer logged",
        () -> SINK.entries.stream().anyMatch(e -> e.sampleId().equals("s-score-only")));
    PredictionEntry logged = SINK.entries.stream().filter(e -> e.sampleId().equals("s-score-only")).findFirst()
        .orElseThrow();
    assertThat(logged.attributions()).containsExactly(Requests.output(all, "attributions"));
  }

  @Test
  void logPredictionOfAnotherTypeIsInvalidArgument() {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stub.modelInfer(
        request("s-bad").toBuilder()
            .putParameters("log_prediction", InferParameter.newBuilder().setStringParam("no").build()).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains("log_prediction");
  }
}
