package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.internal.ReadableBuffers;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.ModelInferRequest;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * ModelInfer's request marshaller reads the same message as the generated one, from a stream of
 * known length (as gRPC hands it over) or not, and refuses what the generated one refuses.
 */
class InferRequestMarshallerTest {

  static final MethodDescriptor.Marshaller<ModelInferRequest> GENERATED =
      GRPCInferenceServiceGrpc.getModelInferMethod().getRequestMarshaller();

  @Test
  void readsTheMessageTheGeneratedMarshallerReads() throws Exception {
    ModelInferRequest raw = Requests.withSampleIds(Requests.raw("m", Requests.rows(256, 307, 1), 256, 307),
        "host-1", java.util.Collections.nCopies(256, "s").toArray(String[]::new)).toBuilder()
        .setId("req-é").putParameters("log_prediction", InferParameter.newBuilder().setBoolParam(false).build())
        .build();
    ModelInferRequest typed = Requests.typed("m", Requests.rows(3, 4, 2), 3, 4);
    for (ModelInferRequest request : new ModelInferRequest[] {raw, typed, ModelInferRequest.getDefaultInstance()}) {
      // known length: the stream gRPC gives
      try (InputStream s = GENERATED.stream(request)) {
        assertThat(InferRequestDecoder.MARSHALLER.parse(s)).isEqualTo(request);
      }
      // unknown length
      ModelInferRequest read = InferRequestDecoder.MARSHALLER.parse(new UnknownLength(request.toByteArray()));
      assertThat(read).isEqualTo(request);
      assertThat(read.toByteArray()).isEqualTo(request.toByteArray());
    }
  }

  @Test
  void theRequestReadDoesNotShareTheTransportsBuffer() throws Exception {
    ModelInferRequest request = Requests.raw("m", Requests.rows(8, 4, 3), 8, 4);
    byte[] wire = request.toByteArray();
    ModelInferRequest read;
    try (InputStream s = ReadableBuffers.openStream(ReadableBuffers.wrap(wire), true)) {
      read = InferRequestDecoder.MARSHALLER.parse(s);
    }
    // the transport reuses its buffer once the message is read
    java.util.Arrays.fill(wire, (byte) 0);
    assertThat(read).isEqualTo(request);
  }

  @Test
  void refusesBytesThatAreNoRequestAsTheGeneratedMarshallerDoes() {
    byte[] garbage = {(byte) 0x0A, (byte) 0xFF, 0x01, 0x02};
    StatusRuntimeException ours = catchThrowableOfType(StatusRuntimeException.class,
        () -> InferRequestDecoder.MARSHALLER.parse(new UnknownLength(garbage)));
    StatusRuntimeException generated = catchThrowableOfType(StatusRuntimeException.class,
        () -> GENERATED.parse(new ByteArrayInputStream(garbage)));
    assertThat(ours.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL)
        .isEqualTo(generated.getStatus().getCode());
    assertThat(ours.getStatus().getDescription()).isEqualTo(generated.getStatus().getDescription());
  }

  /** A stream that does not tell its length. */
  private static final class UnknownLength extends InputStream {
    private final ByteArrayInputStream in;

    UnknownLength(byte[] bytes) {
      this.in = new ByteArrayInputStream(bytes);
    }

    @Override
    public int read() {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      return in.read(b, off, len);
    }
  }
}
