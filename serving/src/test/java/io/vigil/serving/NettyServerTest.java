package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ai.djl.inference.Predictor;
import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.ConnectivityState;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.vigil.embedded.junit.Await;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.inference.ServerLiveRequest;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openinference.client.v2.PublishedPredictV2;

/**
 * The real Netty transport on a free port: a client generated from the published Open Inference
 * Protocol proto (another Java package, not our classes), the maximum message size, TLS with a
 * certificate made for the test, bearer tokens, the keepalive policy and the order of a graceful
 * shutdown.
 */
class NettyServerTest {

  @TempDir static Path dir;
  static final String MODEL = "netty-model";
  static final int COLS = TestRegistry.FEATURES.size();
  static LocalModelSource source;
  static ModelArtifact reference;

  @BeforeAll
  static void models() {
    source = new LocalModelSource(dir.resolve("models"));
    source.add(MODEL, "1", 5, "champion");
    reference = ModelArtifacts.load(dir.resolve("models/" + MODEL + "-1"));
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  static ServingConfig config(String work) {
    return TestServing.config(MODEL, dir.resolve(work), true);
  }

  static ServingServer start(ServingConfig cfg, ServerInterceptor... interceptors) {
    return ServingServer.start(cfg, new ServingServer.Parts(source, new RecordingSink(), null, null, null,
        List.of(interceptors)));
  }

  static ManagedChannel plaintext(ServingServer server) {
    return Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
        .build();
  }

  static ScoreBatch direct(float[] values, int rows) throws Exception {
    try (Predictor<FeatureBatch, ScoreBatch> p = reference.newPredictor()) {
      return p.predict(new FeatureBatch(values, rows, COLS));
    }
  }

  static void shutdown(ManagedChannel ch) throws InterruptedException {
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  // ------------------------------------------------ a client from the published protocol definition

  static PublishedPredictV2.ModelInferRequest.InferInputTensor.Builder input(int rows) {
    return PublishedPredictV2.ModelInferRequest.InferInputTensor.newBuilder().setName("features")
        .setDatatype("FP32").addShape(rows).addShape(COLS);
  }

  static float[] typed(PublishedPredictV2.ModelInferResponse r, int output) {
    List<Float> l = r.getOutputs(output).getContents().getFp32ContentsList();
    float[] out = new float[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }

  static float[] raw(PublishedPredictV2.ModelInferResponse r, int output) {
    ByteBuffer b = r.getRawOutputContents(output).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 4];
    b.asFloatBuffer().get(out);
    return out;
  }

  @Test
  void aClientBuiltFromThePublishedProtoGetsCorrectAnswersOverNetty() throws Exception {
    assertThat(PublishedPredictV2.ModelInferRequest.class.getPackageName())
        .isNotEqualTo(io.vigil.schemas.inference.ModelInferRequest.class.getPackageName());
    try (ServingServer server = start(config("work-published"))) {
      ManagedChannel ch = plaintext(server);
      try {
        var oip = org.openinference.client.v2.GRPCInferenceServiceGrpc.newBlockingStub(ch)
            .withDeadlineAfter(10, TimeUnit.SECONDS);
        assertThat(oip.serverLive(PublishedPredictV2.ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(oip.serverReady(PublishedPredictV2.ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        PublishedPredictV2.ServerMetadataResponse sm =
            oip.serverMetadata(PublishedPredictV2.ServerMetadataRequest.getDefaultInstance());
        assertThat(sm.getName()).isEqualTo("vigil-serving");
        assertThat(sm.getVersion()).isNotEmpty();
        assertThat(oip.modelReady(PublishedPredictV2.ModelReadyRequest.newBuilder().setName(MODEL).build())
            .getReady()).isTrue();
        assertThat(oip.modelReady(PublishedPredictV2.ModelReadyRequest.newBuilder().setName(MODEL)
            .setVersion("1").build()).getReady()).isTrue();
        PublishedPredictV2.ModelMetadataResponse md =
            oip.modelMetadata(PublishedPredictV2.ModelMetadataRequest.newBuilder().setName(MODEL).build());
        assertThat(md.getName()).isEqualTo(MODEL);
        assertThat(md.getVersionsList()).containsExactly("1");
        assertThat(md.getPlatform()).isEqualTo("pytorch_djl");
        assertThat(md.getInputsList()).singleElement().satisfies(t -> {
          assertThat(t.getName()).isEqualTo("features");
          assertThat(t.getDatatype()).isEqualTo("FP32");
          assertThat(t.getShapeList()).containsExactly(-1L, (long) COLS);
        });
        assertThat(md.getOutputsList()).extracting(PublishedPredictV2.ModelMetadataResponse.TensorMetadata::getName)
            .containsExactly("score", "uncertainty", "attributions");

        float[] v = Requests.rows(3, COLS, 77);
        ScoreBatch expected = direct(v, 3);
        PublishedPredictV2.InferTensorContents.Builder contents = PublishedPredictV2.InferTensorContents.newBuilder();
        for (float f : v) {
          contents.addFp32Contents(f);
        }
        PublishedPredictV2.ModelInferResponse typed = oip.modelInfer(PublishedPredictV2.ModelInferRequest
            .newBuilder().setModelName(MODEL).setId("published-1")
            .putParameters("sample_id", PublishedPredictV2.InferParameter.newBuilder().setStringParam("a,b,c").build())
            .addInputs(input(3).setContents(contents)).build());
        assertThat(typed.getModelName()).isEqualTo(MODEL);
        assertThat(typed.getModelVersion()).isEqualTo("1");
        assertThat(typed.getId()).isEqualTo("published-1");
        assertThat(typed.getOutputsList()).extracting(PublishedPredictV2.ModelInferResponse.InferOutputTensor::getName)
            .containsExactly("score", "uncertainty", "attributions");
        assertThat(typed.getOutputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(typed.getOutputs(0).getShapeList()).containsExactly(3L);
        assertThat(typed.getOutputs(2).getShapeList()).containsExactly(3L, (long) COLS);
        assertThat(typed(typed, 0)).containsExactly(expected.scores(), Offset.offset(1e-5f));
        assertThat(typed(typed, 1)).containsExactly(expected.uncertainty(), Offset.offset(1e-5f));
        assertThat(typed(typed, 2)).containsExactly(expected.attributions(), Offset.offset(1e-5f));

        ByteBuffer bytes = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(v);
        PublishedPredictV2.ModelInferResponse rawAnswer = oip.modelInfer(PublishedPredictV2.ModelInferRequest
            .newBuilder().setModelName(MODEL).addInputs(input(3))
            .addOutputs(PublishedPredictV2.ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("score"))
            .addRawInputContents(ByteString.copyFrom(bytes.array())).build());
        assertThat(rawAnswer.getOutputsCount()).isEqualTo(1);
        assertThat(rawAnswer.getOutputs(0).getName()).isEqualTo("score");
        assertThat(rawAnswer.getOutputs(0).hasContents()).isFalse();
        assertThat(raw(rawAnswer, 0)).containsExactly(expected.scores(), Offset.offset(1e-5f));

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
            () -> oip.modelInfer(PublishedPredictV2.ModelInferRequest.newBuilder().setModelName(MODEL)
                .addInputs(input(3).setDatatype("FP64")).build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      } finally {
        shutdown(ch);
      }
    }
  }

  @Test
  void handlersOnABoundedExecutorAnswerAndRefuseAsOnTheEventLoops() throws Exception {
    // the default runs handlers on the event loops (grpc.executorThreads 0); this is the other mode
    ServingConfig c = config("work-executor");
    ServingConfig.Grpc g = c.grpc();
    c = c.withGrpc(new ServingConfig.Grpc(g.host(), 0, 4, g.executorQueue(), g.maxMessageBytes(),
        g.shutdownGraceSeconds(), g.flowControlWindowBytes()));
    try (ServingServer server = start(c)) {
      ManagedChannel ch = plaintext(server);
      try {
        var stub = GRPCInferenceServiceGrpc.newFutureStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        List<com.google.common.util.concurrent.ListenableFuture<io.vigil.schemas.inference.ModelInferResponse>> calls =
            new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
          calls.add(stub.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, i), 1, COLS)));
        }
        for (int i = 0; i < calls.size(); i++) {
          assertThat(Requests.output(calls.get(i).get(10, TimeUnit.SECONDS), "score"))
              .containsExactly(direct(Requests.rows(1, COLS, i), 1).scores(), Offset.offset(1e-5f));
        }
        var blocking = GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
            () -> blocking.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 1), 1, COLS).toBuilder()
                .setModelName("other").build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      } finally {
        shutdown(ch);
      }
    }
  }

  // ------------------------------------------------------------------ message size

  @Test
  void aRequestAboveTheMaximumMessageSizeIsRefusedByTheTransport() throws Exception {
    ServingConfig c = config("work-size");
    ServingConfig.Grpc g = c.grpc();
    c = c.withGrpc(new ServingConfig.Grpc(g.host(), 0, g.executorThreads(), g.executorQueue(), 64 * 1024,
        g.shutdownGraceSeconds(), g.flowControlWindowBytes()));
    try (ServingServer server = start(c)) {
      ManagedChannel ch = plaintext(server);
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        assertThat(stub.modelInfer(Requests.raw(MODEL, Requests.rows(16, COLS, 1), 16, COLS)).getModelVersion())
            .isEqualTo("1");
        int rows = 32 * 1024 / COLS; // 128 KiB of floats, twice the limit
        float[] big = new float[rows * COLS];
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
            () -> stub.modelInfer(Requests.raw(MODEL, big, rows, COLS)));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(stub.serverLive(io.vigil.schemas.inference.ServerLiveRequest.getDefaultInstance()).getLive())
            .as("the connection is still usable").isTrue();
      } finally {
        shutdown(ch);
      }
    }
  }

  // ------------------------------------------------------------------ load shedding

  /** A prediction log that holds the batch worker in its first offer until released (a fake of our own sink). */
  static final class HoldingSink implements PredictionSink {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public boolean offer(PredictionEntry entry) {
      entered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return true;
    }

    @Override
    public void close() {}
  }

  @Test
  void aFullQueueIsShedWithResourceExhaustedOverNettyAndTheQueuedCallsAreStillAnswered() throws Exception {
    ServingConfig c = config("work-shed").withBatching(new ServingConfig.Batching(true, 1, 0, 2, 1));
    HoldingSink sink = new HoldingSink();
    ServingServer server = ServingServer.start(c, new ServingServer.Parts(source, sink, null, null, null));
    ManagedChannel ch = plaintext(server);
    try {
      var blocking = GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
      // the first call is answered, then the only batch worker is held logging it
      assertThat(blocking.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 1), 1, COLS)).getModelVersion())
          .isEqualTo("1");
      assertThat(sink.entered.await(10, TimeUnit.SECONDS)).isTrue();
      DynamicBatcher batcher = server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher();
      var async = GRPCInferenceServiceGrpc.newFutureStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
      var queued1 = async.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 2), 1, COLS));
      var queued2 = async.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 3), 1, COLS));
      Await.until(Duration.ofSeconds(10), "two calls in the queue", () -> batcher.queuedRequests() == 2);
      // the queue (capacity 2) is full: the next call is shed at once, not queued without bound
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> blocking.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 4), 1, COLS)));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(e.getStatus().getDescription()).contains("queue is full").doesNotContain("Exception")
          .doesNotContain("\tat ");
      assertThat(server.metrics().errors("ModelInfer", "RESOURCE_EXHAUSTED")).isEqualTo(1);
      sink.release.countDown();
      assertThat(Requests.output(queued1.get(10, TimeUnit.SECONDS), "score"))
          .containsExactly(direct(Requests.rows(1, COLS, 2), 1).scores(), Offset.offset(1e-5f));
      assertThat(Requests.output(queued2.get(10, TimeUnit.SECONDS), "score"))
          .containsExactly(direct(Requests.rows(1, COLS, 3), 1).scores(), Offset.offset(1e-5f));
    } finally {
      sink.release.countDown();
      shutdown(ch);
      server.close();
    }
  }

  // ------------------------------------------------------------------ TLS and bearer tokens

  /** A self-signed certificate for 127.0.0.1 and localhost, made with the JDK's keytool, as PEM files. */
  static Path[] selfSigned(Path at) throws Exception {
    Files.createDirectories(at);
    Path store = at.resolve("server.p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC",
        "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA", "-dname", "CN=localhost",
        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "test-pass", "-keypass", "test-pass")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("keytool: %s", output).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      ks.load(in, "test-pass".toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey("server", "test-pass".toCharArray());
    Certificate cert = ks.getCertificate("server");
    Path certFile = Files.writeString(at.resolve("server.crt"), pem("CERTIFICATE", cert.getEncoded()));
    Path keyFile = Files.writeString(at.resolve("server.key"), pem("PRIVATE KEY", key.getEncoded()));
    return new Path[] {certFile, keyFile};
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static ManagedChannel withToken(ManagedChannel ch, String token, java.util.function.Consumer<io.grpc.Channel> use) {
    Metadata h = new Metadata();
    h.put(BearerTokenInterceptor.AUTHORIZATION, "Bearer " + token);
    use.accept(io.grpc.ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(h)));
    return ch;
  }

  @Test
  void servesOverTlsAndRefusesCallsWithoutAValidBearerToken() throws Exception {
    Path[] pemFiles = selfSigned(dir.resolve("tls"));
    ServingConfig c = config("work-tls").withSecurity(new ServingConfig.Security(pemFiles[0].toString(),
        pemFiles[1].toString(), "first-token, second-token"));
    try (ServingServer server = start(c)) {
      ChannelCredentials trust = TlsChannelCredentials.newBuilder().trustManager(pemFiles[0].toFile()).build();
      ManagedChannel tls = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), trust).build();
      ManagedChannel clear = plaintext(server);
      try {
        float[] v = Requests.rows(1, COLS, 3);
        var anonymous = GRPCInferenceServiceGrpc.newBlockingStub(tls).withDeadlineAfter(10, TimeUnit.SECONDS);
        StatusRuntimeException none = catchThrowableOfType(StatusRuntimeException.class,
            () -> anonymous.modelInfer(Requests.typed(MODEL, v, 1, COLS)));
        assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(none.getStatus().getDescription()).contains("Bearer");
        StatusRuntimeException metadata = catchThrowableOfType(StatusRuntimeException.class,
            () -> anonymous.serverMetadata(io.vigil.schemas.inference.ServerMetadataRequest.getDefaultInstance()));
        assertThat(metadata.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

        withToken(tls, "third-token", ch -> {
          StatusRuntimeException wrong = catchThrowableOfType(StatusRuntimeException.class,
              () -> GRPCInferenceServiceGrpc.newBlockingStub(ch).modelInfer(Requests.typed(MODEL, v, 1, COLS)));
          assertThat(wrong.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(wrong.getStatus().getDescription()).doesNotContain("first-token");
        });
        withToken(tls, "second-token", ch -> {
          ModelInferResponse r = GRPCInferenceServiceGrpc.newBlockingStub(ch).modelInfer(Requests.typed(MODEL, v, 1, COLS));
          assertThat(r.getModelVersion()).isEqualTo("1");
        });
        // probes carry no token: health stays open
        assertThat(HealthGrpc.newBlockingStub(tls).check(HealthCheckRequest.getDefaultInstance()).getStatus())
            .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        // a plaintext client cannot talk to the TLS port
        StatusRuntimeException plain = catchThrowableOfType(StatusRuntimeException.class,
            () -> GRPCInferenceServiceGrpc.newBlockingStub(clear).withDeadlineAfter(5, TimeUnit.SECONDS)
                .serverLive(io.vigil.schemas.inference.ServerLiveRequest.getDefaultInstance()));
        assertThat(plain.getStatus().getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.INTERNAL);
        assertThat(server.metrics().errors("ModelInfer", "UNAUTHENTICATED")).isEqualTo(2);
      } finally {
        shutdown(tls);
        shutdown(clear);
      }
    }
  }

  // ------------------------------------------------------------------ keepalive

  @Test
  void anIdleConnectionIsClosedAfterTheConfiguredIdleTime() throws Exception {
    ServingConfig c = config("work-idle").withKeepalive(new ServingConfig.Keepalive(60, 20, 10, false, 1, 0, 30));
    try (ServingServer server = start(c)) {
      ManagedChannel ch = plaintext(server);
      try {
        GRPCInferenceServiceGrpc.newBlockingStub(ch)
            .serverLive(io.vigil.schemas.inference.ServerLiveRequest.getDefaultInstance());
        assertThat(ch.getState(false)).isEqualTo(ConnectivityState.READY);
        Await.until(Duration.ofSeconds(10), "the server to close the idle connection",
            () -> ch.getState(false) == ConnectivityState.IDLE);
        assertThat(GRPCInferenceServiceGrpc.newBlockingStub(ch)
            .serverLive(io.vigil.schemas.inference.ServerLiveRequest.getDefaultInstance()).getLive())
            .as("a client reconnects transparently").isTrue();
      } finally {
        shutdown(ch);
      }
    }
  }

  /** HTTP/2 ENHANCE_YOUR_CALM: what a server answers a client that pings more often than it permits. */
  private static final int ENHANCE_YOUR_CALM = 0xb;

  @Test
  void aClientPingingMoreOftenThanPermittedIsSentAway() throws Exception {
    // pings without calls permitted, at most one every 10 s: five back to back are too many
    ServingConfig strict = config("work-ping-strict")
        .withKeepalive(new ServingConfig.Keepalive(60, 20, 10, true, 0, 0, 30));
    try (ServingServer server = start(strict)) {
      RawHttp2Pings.Outcome o = RawHttp2Pings.send(server.port(), 5, 10_000);
      assertThat(o.goAwayCode()).as("GOAWAY error code").isEqualTo(ENHANCE_YOUR_CALM);
      assertThat(o.goAwayDebug()).contains("too_many_pings");
      assertThat(o.acks()).isLessThan(5);
    }
    // the same pings without calls, where the policy does not permit pings without calls at all
    ServingConfig noIdlePings = config("work-ping-idle")
        .withKeepalive(new ServingConfig.Keepalive(60, 20, 0, false, 0, 0, 30));
    try (ServingServer server = start(noIdlePings)) {
      assertThat(RawHttp2Pings.send(server.port(), 5, 10_000).goAwayCode()).isEqualTo(ENHANCE_YOUR_CALM);
    }
    // a policy that permits them: every ping answered, the connection kept
    ServingConfig lenient = config("work-ping-lenient")
        .withKeepalive(new ServingConfig.Keepalive(60, 20, 0, true, 0, 0, 30));
    try (ServingServer server = start(lenient)) {
      RawHttp2Pings.Outcome o = RawHttp2Pings.send(server.port(), 5, 10_000);
      assertThat(o.goAwayCode()).isNull();
      assertThat(o.acks()).isEqualTo(5);
    }
  }

  // ------------------------------------------------------------------ graceful shutdown

  /** Holds the first ModelInfer call (once it has fully arrived) until released. */
  static final class HoldFirstInfer implements ServerInterceptor {
    final CountDownLatch arrived = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicBoolean first = new AtomicBoolean(true);
    /** The held call's context (its deadline is the server's own, from the call's timeout header). */
    volatile io.grpc.Context context;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      ServerCall.Listener<Q> delegate = next.startCall(call, headers);
      if (!call.getMethodDescriptor().getBareMethodName().equals("ModelInfer") || !first.getAndSet(false)) {
        return delegate;
      }
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
        @Override
        public void onHalfClose() {
          context = io.grpc.Context.current();
          arrived.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          super.onHalfClose();
        }
      };
    }
  }

  @Test
  void aCallWhoseDeadlinePassesBeforeItsHandlerRunsIsRefusedAndNeverComputed() throws Exception {
    HoldFirstInfer hold = new HoldFirstInfer();
    ServingServer server = start(config("work-deadline"), hold);
    ManagedChannel ch = plaintext(server);
    try {
      DynamicBatcher batcher = server.models().current(ModelManager.Role.PRIMARY).orElseThrow().batcher();
      long calls = batcher.modelCalls();
      // the connection first, so that the deadline below is spent on the server, not on connecting
      assertThat(GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
      var late = GRPCInferenceServiceGrpc.newFutureStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
          .modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 3), 1, COLS));
      assertThat(hold.arrived.await(10, TimeUnit.SECONDS)).isTrue();
      java.util.concurrent.ExecutionException e = catchThrowableOfType(
          java.util.concurrent.ExecutionException.class, () -> late.get(10, TimeUnit.SECONDS));
      assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
      // the server counts the deadline from when the call reached it, a little after the client did:
      // the handler must run after the server's deadline, not only the client's
      Await.until(Duration.ofSeconds(10), "the server's deadline for the late call to pass",
          () -> hold.context.isCancelled());
      hold.release.countDown(); // the server's handler runs only now, after the deadline
      Await.until(Duration.ofSeconds(10), "the server to refuse the late call",
          () -> server.metrics().errors("ModelInfer", "DEADLINE_EXCEEDED") >= 1);
      assertThat(batcher.modelCalls()).as("the model never ran for it").isEqualTo(calls);
      assertThat(batcher.queuedRequests()).isZero();
      // the next call, in time, is answered
      assertThat(GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 4), 1, COLS)).getModelVersion()).isEqualTo("1");
      assertThat(batcher.modelCalls()).isEqualTo(calls + 1);
    } finally {
      hold.release.countDown();
      shutdown(ch);
      server.close();
    }
  }

  @Test
  void healthTurnsServingWhenTheFirstModelLoadsLater() throws Exception {
    String model = "late-model";
    LocalModelSource lateSource = new LocalModelSource(dir.resolve("late-models"));
    ServingConfig d = config("work-late");
    // the model is polled every second; at start the source has no version under the alias
    ServingConfig cfg = d.withModel(new ServingConfig.ModelSelection(model, "champion", null, null, 1,
        d.model().workDir(), d.model().warmupBatches(), d.model().drainTimeoutSeconds()));
    ServingServer server = ServingServer.start(cfg, new ServingServer.Parts(lateSource, new RecordingSink(), null,
        null, null, List.of()));
    ManagedChannel ch = plaintext(server);
    try {
      var health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
      StatusRuntimeException notReady = catchThrowableOfType(StatusRuntimeException.class,
          () -> GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
              .modelInfer(Requests.typed(model, Requests.rows(1, COLS, 1), 1, COLS)));
      assertThat(notReady.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

      lateSource.add(model, "1", 5, "champion");
      Await.until(Duration.ofSeconds(20), "health SERVING once the model is loaded", () -> HealthGrpc
          .newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
          .getStatus() == HealthCheckResponse.ServingStatus.SERVING);
      assertThat(GRPCInferenceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .modelInfer(Requests.typed(model, Requests.rows(1, COLS, 1), 1, COLS)).getModelVersion()).isEqualTo("1");
    } finally {
      shutdown(ch);
      server.close();
    }
  }

  @Test
  void shutdownTurnsHealthNotServingThenRefusesNewCallsAndFinishesThoseInFlight() throws Exception {
    HoldFirstInfer hold = new HoldFirstInfer();
    ServingServer server = start(config("work-shutdown"), hold);
    ManagedChannel ch = plaintext(server);
    List<String> events = new CopyOnWriteArrayList<>();
    Context.CancellableContext watching = Context.current().withCancellation();
    try {
      var async = GRPCInferenceServiceGrpc.newFutureStub(ch);
      var blocking = GRPCInferenceServiceGrpc.newBlockingStub(ch);
      CountDownLatch notServing = new CountDownLatch(1);
      CountDownLatch serving = new CountDownLatch(1);
      watching.run(() -> HealthGrpc.newStub(ch).watch(HealthCheckRequest.getDefaultInstance(),
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse r) {
              if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                serving.countDown();
              } else if (r.getStatus() == HealthCheckResponse.ServingStatus.NOT_SERVING) {
                events.add("health NOT_SERVING");
                notServing.countDown();
              }
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          }));
      assertThat(serving.await(10, TimeUnit.SECONDS)).isTrue();
      var inFlight = async.modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 9), 1, COLS));
      assertThat(hold.arrived.await(10, TimeUnit.SECONDS)).isTrue();

      CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
      assertThat(notServing.await(10, TimeUnit.SECONDS)).as("health turns NOT_SERVING").isTrue();
      watching.cancel(null);
      Await.until(Duration.ofSeconds(10), "the transport to stop taking calls", server::stopping);
      // a new client cannot connect any more
      ManagedChannel late = plaintext(server);
      try {
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
            () -> GRPCInferenceServiceGrpc.newBlockingStub(late).withDeadlineAfter(5, TimeUnit.SECONDS)
                .modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 10), 1, COLS)));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      } finally {
        shutdown(late);
      }
      // on the open connection, new calls are refused once the client has the server's GOAWAY (calls
      // started before it are in flight and answered: gRPC's two-step GOAWAY)
      Await.until(Duration.ofSeconds(10), "a new call on the open connection to be refused", () -> {
        try {
          blocking.withDeadlineAfter(5, TimeUnit.SECONDS)
              .modelInfer(Requests.typed(MODEL, Requests.rows(1, COLS, 11), 1, COLS));
          return false;
        } catch (StatusRuntimeException e) {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          return true;
        }
      });
      events.add("new call refused");
      assertThat(closing).as("close waits for the call in flight").isNotDone();

      hold.release.countDown();
      assertThat(inFlight.get(10, TimeUnit.SECONDS).getModelVersion()).isEqualTo("1");
      events.add("in-flight call answered");
      closing.get(20, TimeUnit.SECONDS);
      assertThat(events).containsExactly("health NOT_SERVING", "new call refused", "in-flight call answered");
    } finally {
      hold.release.countDown();
      watching.cancel(null);
      shutdown(ch);
      server.close();
    }
  }
}
