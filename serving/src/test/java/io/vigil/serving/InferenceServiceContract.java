package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.djl.inference.Predictor;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.vigil.embedded.junit.Await;
import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ScoreBatch;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferRequest.InferInputTensor;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.inference.ModelMetadataRequest;
import io.vigil.schemas.inference.ModelMetadataResponse;
import io.vigil.schemas.inference.ModelReadyRequest;
import io.vigil.schemas.inference.ServerLiveRequest;
import io.vigil.schemas.inference.ServerMetadataRequest;
import io.vigil.schemas.inference.ServerReadyRequest;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC of the Open Inference Protocol against a real DJL model that the test builds and
 * registers in the embedded registry (real S3 server), and every
 * validation rule; run over the in-process transport ({@link InferenceServiceTest}) and over Netty
 * ({@link InferenceServiceOverNettyTest}). Each subclass starts the server in its {@code @BeforeAll}.
 */
abstract class InferenceServiceContract {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir static Path root;
  static Path dir;

  static final String MODEL = "oip-model";
  static final int COLS = TestRegistry.FEATURES.size();
  static TestRegistry registry;
  static ServingServer server;
  static ManagedChannel channel;
  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
  static RecordingSink sink = new RecordingSink();
  static ModelArtifact reference;

  /** The server with the registry's model, over the in-process transport or Netty on loopback. */
  static void startWith(boolean netty) throws Exception {
    sink.entries.clear();
    dir = root.resolve(netty ? "netty" : "in-process");
    registry = new TestRegistry(dir.resolve("registry"), S3.s3(), ModelEventPublisher.discarding());
    registry.register(MODEL, 7);
    registry.client.setAlias(MODEL, "champion", "1", "test", "first");
    RegistryModelSource source = new RegistryModelSource(registry.client);
    server = ServingServer.start(TestServing.config(MODEL, dir.resolve("work"), true), netty
        ? new ServingServer.Parts(source, sink, null, null, null, java.util.List.of())
        : TestServing.inProcess("oip", source, sink));
    channel = netty
        ? io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
            io.grpc.InsecureChannelCredentials.create()).build()
        : InProcessChannelBuilder.forName("oip").build();
    stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    registry.client.download(MODEL, "1", dir.resolve("reference"));
    reference = ModelArtifacts.load(dir.resolve("reference"));
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    reference.close();
    registry.close();
  }

  static long modelCalls() {
    return server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher().modelCalls();
  }

  static ScoreBatch direct(float[] values, int rows) throws Exception {
    try (Predictor<FeatureBatch, ScoreBatch> p = reference.newPredictor()) {
      return p.predict(new FeatureBatch(values, rows, COLS));
    }
  }

  // ------------------------------------------------------------------ the RPCs

  @Test
  void serverIsLiveReadyAndDescribesItself() {
    assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
        .isEqualTo("vigil-serving");
  }

  @Test
  void modelIsReadyByNameAndVersionAndDescribesItsTensors() {
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).setVersion("1").build())
        .getReady()).isTrue();
    assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName(MODEL).setVersion("9").build())
        .getReady()).isFalse();
    ModelMetadataResponse md = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
    assertThat(md.getName()).isEqualTo(MODEL);
    assertThat(md.getVersionsList()).containsExactly("1");
    assertThat(md.getPlatform()).isEqualTo("pytorch_djl");
    assertThat(md.getInputsList()).singleElement().satisfies(t -> {
      assertThat(t.getName()).isEqualTo("features");
      assertThat(t.getDatatype()).isEqualTo("FP32");
      assertThat(t.getShapeList()).containsExactly(-1L, (long) COLS);
    });
    assertThat(md.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName)
        .containsExactly("score", "uncertainty", "attributions");
    assertThat(md.getOutputs(2).getShapeList()).containsExactly(-1L, (long) COLS);
  }

  @Test
  void unknownModelOrVersionIsNotFound() {
    assertThat(code(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("nope").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).setVersion("9").build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    float[] v = Requests.rows(1, COLS, 1);
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.modelInfer(Requests.typed("nope", v, 1, COLS)));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).contains("'nope' is not served here");
    e = catchThrowableOfType(StatusRuntimeException.class,
        () -> stub.modelInfer(Requests.typed(MODEL, v, 1, COLS).toBuilder().setModelVersion("9").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(e.getStatus().getDescription()).contains("version '9' is not loaded");
  }

  @Test
  void typedInferenceAnswersWhatTheModelComputes() throws Exception {
    float[] v = Requests.rows(3, COLS, 11);
    ModelInferResponse r = stub.modelInfer(Requests.typed(MODEL, v, 3, COLS).toBuilder().setId("req-1").build());
    assertThat(r.getModelName()).isEqualTo(MODEL);
    assertThat(r.getModelVersion()).isEqualTo("1");
    assertThat(r.getId()).isEqualTo("req-1");
    assertThat(r.getRawOutputContentsCount()).isZero();
    assertThat(r.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
        .containsExactly("score", "uncertainty", "attributions");
    assertThat(r.getOutputs(0).getShapeList()).containsExactly(3L);
    assertThat(r.getOutputs(2).getShapeList()).containsExactly(3L, (long) COLS);
    ScoreBatch expected = direct(v, 3);
    assertThat(Requests.output(r, "score")).containsExactly(expected.scores(), Offset.offset(1e-5f));
    assertThat(Requests.output(r, "uncertainty")).containsExactly(expected.uncertainty(), Offset.offset(1e-5f));
    assertThat(Requests.output(r, "attributions")).containsExactly(expected.attributions(), Offset.offset(1e-5f));
  }

  @Test
  void rawInferenceAnswersRawAndEqualsTyped() {
    float[] v = Requests.rows(2, COLS, 12);
    ModelInferResponse raw = stub.modelInfer(Requests.raw(MODEL, v, 2, COLS));
    ModelInferResponse typed = stub.modelInfer(Requests.typed(MODEL, v, 2, COLS));
    assertThat(raw.getRawOutputContentsCount()).isEqualTo(3);
    assertThat(raw.getOutputs(0).hasContents()).isFalse();
    assertThat(raw.getRawOutputContents(0).size()).isEqualTo(2 * 4);
    assertThat(Requests.output(raw, "score")).containsExactly(Requests.output(typed, "score"));
    assertThat(Requests.output(raw, "attributions")).containsExactly(Requests.output(typed, "attributions"));
  }

  @Test
  void returnsOnlyTheRequestedOutputsInTheirOrder() {
    ModelInferRequest r = Requests.typed(MODEL, Requests.rows(1, COLS, 3), 1, COLS).toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("uncertainty"))
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("score"))
        .build();
    assertThat(stub.modelInfer(r).getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
        .containsExactly("uncertainty", "score");
  }

  @Test
  void everyAnswerIsHandedToThePredictionLogWithItsSampleIds() {
    ModelInferRequest r = Requests.withSampleIds(Requests.typed(MODEL, Requests.rows(2, COLS, 5), 2, COLS),
        "host-7", "s-aaa", "s-bbb");
    ModelInferResponse resp = stub.modelInfer(r);
    float[] scores = Requests.output(resp, "score");
    Await.until(java.time.Duration.ofSeconds(5), "two log entries",
        () -> sink.entries.stream().filter(e -> e.sampleId().startsWith("s-aaa") || e.sampleId().equals("s-bbb")).count() == 2);
    PredictionEntry a = sink.entries.stream().filter(e -> e.sampleId().equals("s-aaa")).findFirst().orElseThrow();
    assertThat(a.entity()).isEqualTo("host-7");
    assertThat(a.model()).isEqualTo(new ModelId(MODEL, "1", "champion"));
    assertThat(a.score()).isEqualTo(scores[0]);
    assertThat(a.attributions()).hasSize(COLS);
    assertThat(a.probability()).isNull(); // no supervised head
    assertThat(KafkaPredictionSink.toRecord(a).getProbability()).isNull();
    // the record's attributions are per raw metric, positive shares, largest first
    java.util.Map<String, Double> byMetric = KafkaPredictionSink.toRecord(a).getAttributions();
    assertThat(byMetric.keySet()).isNotEmpty().isSubsetOf("cpu", "mem", "disk", "net");
    assertThat(byMetric.values()).allMatch(v -> v > 0);
    double positive = 0;
    for (float f : a.attributions()) {
      positive += f > 0 ? f : 0;
    }
    assertThat(byMetric.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(positive, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(a.shadow()).isFalse();
  }

  @Test
  void healthIsServingWithAModelAndReflectionListsTheService() throws Exception {
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
    assertThat(health.check(HealthCheckRequest.newBuilder().build()).getStatus())
        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("inference.GRPCInferenceService").build())
        .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    assertThat(reflect(ServerReflectionRequest.newBuilder().setListServices("").build())
        .getListServicesResponse().getServiceList())
        .extracting(s -> s.getName()).contains("inference.GRPCInferenceService", "grpc.health.v1.Health");
  }

  /** One reflection request, its first answer. */
  static ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
        new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            answer.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            answer.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    req.onNext(request);
    req.onCompleted();
    return answer.get(5, TimeUnit.SECONDS);
  }

  @Test
  void reflectionDescribesModelInferUnderBothReflectionNames() throws Exception {
    // what `grpcurl describe inference.GRPCInferenceService` asks: the file that defines the service
    ServerReflectionResponse r = reflect(ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("inference.GRPCInferenceService").build());
    boolean found = false;
    for (com.google.protobuf.ByteString bytes : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      com.google.protobuf.DescriptorProtos.FileDescriptorProto f =
          com.google.protobuf.DescriptorProtos.FileDescriptorProto.parseFrom(bytes);
      for (com.google.protobuf.DescriptorProtos.ServiceDescriptorProto svc : f.getServiceList()) {
        if (f.getPackage().equals("inference") && svc.getName().equals("GRPCInferenceService")) {
          found = true;
          assertThat(svc.getMethodList()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("ModelInfer");
            assertThat(m.getInputType()).isEqualTo(".inference.ModelInferRequest");
            assertThat(m.getOutputType()).isEqualTo(".inference.ModelInferResponse");
          });
        }
      }
    }
    assertThat(found).as("the service's file descriptor").isTrue();

    // the older reflection name, still the first one some clients try
    CompletableFuture<io.grpc.reflection.v1alpha.ServerReflectionResponse> old = new CompletableFuture<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> req =
        io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse value) {
            old.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            old.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    req.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build());
    req.onCompleted();
    assertThat(old.get(5, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .extracting(s -> s.getName()).contains("inference.GRPCInferenceService");
  }

  @Test
  void anExpiredDeadlineIsDeadlineExceeded() {
    assertThat(code(() -> stub.withDeadlineAfter(1, TimeUnit.NANOSECONDS)
        .modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 1), 1, COLS))))
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  // ------------------------------------------------------------------ validation

  /** Sends a request that must be refused: INVALID_ARGUMENT with a message, and no model call. */
  static String rejected(ModelInferRequest request) {
    long calls = modelCalls();
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stub.modelInfer(request));
    assertThat(e).as("the request must be refused").isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    String msg = e.getStatus().getDescription();
    assertThat(msg).isNotBlank().doesNotContain("Exception").doesNotContain("io.vigil").doesNotContain("at ");
    assertThat(modelCalls()).as("nothing executed").isEqualTo(calls);
    assertThat(server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher().queuedRequests()).isZero();
    return msg;
  }

  static ModelInferRequest good() {
    return Requests.typed(MODEL, Requests.rows(2, COLS, 2), 2, COLS);
  }

  static ModelInferRequest edit(UnaryOperator<InferInputTensor.Builder> f) {
    ModelInferRequest g = good();
    return g.toBuilder().setInputs(0, f.apply(g.getInputs(0).toBuilder())).build();
  }

  @Test
  void rejectsARequestWithoutInputs() {
    assertThat(rejected(ModelInferRequest.newBuilder().setModelName(MODEL).build()))
        .contains("no inputs").contains("'features'");
  }

  @Test
  void rejectsAnUnknownInputName() {
    assertThat(rejected(edit(t -> t.setName("feats")))).contains("unknown input 'feats'");
  }

  @Test
  void rejectsADuplicateInputName() {
    ModelInferRequest g = good();
    assertThat(rejected(g.toBuilder().addInputs(g.getInputs(0)).build())).contains("appears more than once");
  }

  @Test
  void rejectsADatatypeTheModelDoesNotTake() {
    assertThat(rejected(edit(t -> t.setDatatype("FP64")))).contains("datatype FP64").contains("takes FP32");
  }

  @Test
  void rejectsAnUnknownDatatype() {
    assertThat(rejected(edit(t -> t.setDatatype("FLOAT")))).contains("unknown datatype 'FLOAT'");
  }

  @Test
  void rejectsAShapeOfTheWrongRank() {
    assertThat(rejected(edit(t -> t.clearShape().addShape(2 * COLS)))).contains("shape [8]");
  }

  @Test
  void rejectsANegativeDimension() {
    assertThat(rejected(edit(t -> t.setShape(0, -2)))).contains("negative dimension");
  }

  @Test
  void rejectsDimensionsWhoseProductOverflows() {
    assertThat(rejected(edit(t -> t.setShape(0, Long.MAX_VALUE / 2).setShape(1, 4)))).contains("too large");
  }

  @Test
  void rejectsTheWrongNumberOfFeatures() {
    assertThat(rejected(Requests.typed(MODEL, Requests.rows(2, 3, 1), 2, 3)))
        .contains("3 features per row").contains("takes " + COLS);
  }

  @Test
  void rejectsABatchAboveTheMaximum() {
    int rows = server.config().batching().maxBatchSize() + 1;
    assertThat(rejected(Requests.typed(MODEL, Requests.rows(rows, COLS, 1), rows, COLS)))
        .contains(rows + " rows").contains("maximum batch of 16");
  }

  @Test
  void rejectsAnEmptyBatch() {
    assertThat(rejected(Requests.typed(MODEL, new float[0], 0, COLS))).contains("no rows");
  }

  @Test
  void rejectsRawContentWhoseByteLengthDoesNotMatchTheShape() {
    ModelInferRequest r = Requests.raw(MODEL, Requests.rows(2, COLS, 1), 2, COLS).toBuilder()
        .setRawInputContents(0, ByteString.copyFrom(new byte[2 * COLS * 4 - 1])).build();
    assertThat(rejected(r)).contains("31 bytes").contains("needs 32");
  }

  @Test
  void rejectsTypedContentWhoseCountDoesNotMatchTheShape() {
    assertThat(rejected(edit(t -> t.setShape(0, 3)))).contains("has 8 FP32 values").contains("needs 12");
  }

  @Test
  void rejectsTypedContentOfAnotherDatatype() {
    assertThat(rejected(edit(t -> t.setContents(InferTensorContents.newBuilder().addInt64Contents(1)))))
        .contains("carries INT64 contents");
  }

  @Test
  void rejectsRawAndTypedContentsTogether() {
    ModelInferRequest g = good();
    ModelInferRequest r = g.toBuilder().addRawInputContents(InferResponses.littleEndian(Requests.rows(2, COLS, 2))).build();
    assertThat(rejected(r)).contains("use one or the other");
  }

  @Test
  void rejectsRawContentsThatDoNotMatchTheInputs() {
    ModelInferRequest r = Requests.raw(MODEL, Requests.rows(2, COLS, 1), 2, COLS).toBuilder()
        .addRawInputContents(ByteString.copyFrom(new byte[4])).build();
    assertThat(rejected(r)).contains("2 entries for 1 input");
  }

  @Test
  void rejectsAnUnknownRequestedOutput() {
    ModelInferRequest r = good().toBuilder()
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("probability")).build();
    assertThat(rejected(r)).contains("unknown output 'probability'");
  }

  @Test
  void rejectsNonFiniteValues() {
    float[] v = Requests.rows(2, COLS, 2);
    v[5] = Float.NaN;
    assertThat(rejected(Requests.typed(MODEL, v, 2, COLS))).contains("non-finite value in row 1, column 1");
  }

  @Test
  void rejectsSampleIdsThatDoNotMatchTheRows() {
    assertThat(rejected(Requests.withSampleIds(good(), "h", "s-1", "s-2", "s-3")))
        .contains("'sample_id' has 3 value(s) for 2 row(s)");
    assertThat(rejected(good().toBuilder()
        .putParameters("sample_id", InferParameter.newBuilder().setInt64Param(5).build()).build()))
        .contains("must be a string");
  }

  @Test
  void aServerWithoutAModelIsUnavailableAndNotServing() throws Exception {
    ServingServer empty = ServingServer.start(TestServing.config("no-alias-yet", dir.resolve("work2"), true),
        TestServing.inProcess("empty", new RegistryModelSource(registry.client), new RecordingSink()));
    ManagedChannel ch = InProcessChannelBuilder.forName("empty").build();
    try {
      var s = GRPCInferenceServiceGrpc.newBlockingStub(ch);
      assertThat(s.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
      assertThat(s.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isFalse();
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> s.modelInfer(Requests.typed("no-alias-yet", Requests.rows(1, COLS, 1), 1, COLS)));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(e.getStatus().getDescription()).contains("no version").contains("is loaded yet");
      assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.newBuilder().build()).getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    } finally {
      ch.shutdownNow();
      empty.close();
    }
  }

  static Status.Code code(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call must fail").isNotNull();
    return e.getStatus().getCode();
  }
}
