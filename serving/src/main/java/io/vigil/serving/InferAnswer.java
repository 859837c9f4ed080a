package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.ModelInferResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A {@code ModelInferResponse} already in its wire form, written straight from the batch's score
 * arrays (the request's rows of them): no message builder, no per-value list, no second pass to
 * serialise. The bytes are exactly what {@link ModelInferResponse#toByteArray()} gives for the
 * same answer ({@link InferResponses#infer} builds that message; a test compares the two).
 * {@link #MARSHALLER} hands them to gRPC as a {@link KnownLength} {@link Drainable} stream, so
 * the transport copies them once into its buffers.
 */
final class InferAnswer {

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  // wire tags: field number << 3 | wire type 2 (length-delimited)
  private static final int RESPONSE_ID = 3 << 3 | 2;
  private static final int RESPONSE_OUTPUTS = 5 << 3 | 2;
  private static final int RESPONSE_RAW = 6 << 3 | 2;
  private static final int TENSOR_SHAPE = 3 << 3 | 2;
  private static final int TENSOR_CONTENTS = 5 << 3 | 2;
  private static final int CONTENTS_FP32 = 6 << 3 | 2;

  private final byte[] bytes;

  private InferAnswer(byte[] bytes) {
    this.bytes = bytes;
  }

  byte[] bytes() {
    return bytes;
  }

  ModelInferResponse toMessage() {
    try {
      return ModelInferResponse.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("an encoded answer does not parse", e);
    }
  }

  /**
   * What every answer of one loaded version shares, encoded once: model name and version (fields
   * 1, 2), the response parameters (field 4), and each output's name and datatype.
   */
  static final class Template {
    final byte[] nameAndVersion;
    final byte[] parameters;
    final List<String> outputs;
    final byte[][] outputHeads;

    Template(ModelId model, ModelSpec spec) {
      ModelInferResponse.Builder head = ModelInferResponse.newBuilder()
          .setModelName(model.name()).setModelVersion(model.version());
      nameAndVersion = head.build().toByteArray();
      ModelInferResponse.Builder params = ModelInferResponse.newBuilder();
      params.putParameters(InferResponses.PARAM_THRESHOLD,
          InferParameter.newBuilder().setDoubleParam(spec.scale().threshold()).build());
      if (model.alias() != null) {
        params.putParameters(InferResponses.PARAM_MODEL_ALIAS,
            InferParameter.newBuilder().setStringParam(model.alias()).build());
      }
      String fsv = spec.inputs().featureSetVersion();
      if (fsv != null && !fsv.isEmpty()) {
        params.putParameters(InferResponses.PARAM_FEATURE_SET_VERSION,
            InferParameter.newBuilder().setStringParam(fsv).build());
      }
      parameters = params.build().toByteArray();
      outputs = List.copyOf(spec.outputs());
      outputHeads = new byte[outputs.size()][];
      for (int i = 0; i < outputs.size(); i++) {
        outputHeads[i] = ModelInferResponse.InferOutputTensor.newBuilder().setName(outputs.get(i))
            .setDatatype(InferRequestDecoder.FP32).build().toByteArray();
      }
    }

    byte[] head(String output) {
      int i = outputs.indexOf(output);
      if (i < 0) {
        throw new IllegalStateException("output " + output + " was not validated");
      }
      return outputHeads[i];
    }
  }

  /**
   * The answer to a request whose rows are rows {@code [from, from + n)} of {@code out}: its
   * requested outputs, typed or raw as the request was.
   */
  static InferAnswer encode(Template t, ByteString requestId, List<String> outputs, boolean raw,
      ScoreBatch out, int from, int n) {
    int cols = out.cols();
    int count = outputs.size();
    // sizes first, then one exact array
    int[] valueCount = new int[count];
    int[] tensorLen = new int[count];
    byte[][] heads = new byte[count][];
    int size = t.nameAndVersion.length + t.parameters.length;
    if (!requestId.isEmpty()) {
      size += 1 + varintSize(requestId.size()) + requestId.size();
    }
    for (int i = 0; i < count; i++) {
      String name = outputs.get(i);
      boolean matrix = name.equals(ModelSpec.OUTPUT_ATTRIBUTIONS);
      heads[i] = t.head(name);
      valueCount[i] = matrix ? n * cols : n;
      int shapeLen = varintSize(n) + (matrix ? varintSize(cols) : 0);
      int len = heads[i].length + 1 + varintSize(shapeLen) + shapeLen;
      if (!raw) {
        int data = valueCount[i] * Float.BYTES;
        int contents = 1 + varintSize(data) + data;
        len += 1 + varintSize(contents) + contents;
      }
      tensorLen[i] = len;
      size += 1 + varintSize(len) + len;
      if (raw) {
        int data = valueCount[i] * Float.BYTES;
        size += 1 + varintSize(data) + data;
      }
    }
    byte[] b = new byte[size];
    int p = 0;
    System.arraycopy(t.nameAndVersion, 0, b, p, t.nameAndVersion.length);
    p += t.nameAndVersion.length;
    if (!requestId.isEmpty()) {
      b[p++] = (byte) RESPONSE_ID;
      p = varint(b, p, requestId.size());
      requestId.copyTo(b, p);
      p += requestId.size();
    }
    System.arraycopy(t.parameters, 0, b, p, t.parameters.length);
    p += t.parameters.length;
    for (int i = 0; i < count; i++) {
      String name = outputs.get(i);
      boolean matrix = name.equals(ModelSpec.OUTPUT_ATTRIBUTIONS);
      b[p++] = (byte) RESPONSE_OUTPUTS;
      p = varint(b, p, tensorLen[i]);
      System.arraycopy(heads[i], 0, b, p, heads[i].length);
      p += heads[i].length;
      b[p++] = (byte) TENSOR_SHAPE;
      p = varint(b, p, varintSize(n) + (matrix ? varintSize(cols) : 0));
      p = varint(b, p, n);
      if (matrix) {
        p = varint(b, p, cols);
      }
      if (!raw) {
        int data = valueCount[i] * Float.BYTES;
        b[p++] = (byte) TENSOR_CONTENTS;
        p = varint(b, p, 1 + varintSize(data) + data);
        b[p++] = (byte) CONTENTS_FP32;
        p = varint(b, p, data);
        p = floats(b, p, out, name, from, n, cols);
      }
    }
    if (raw) {
      for (int i = 0; i < count; i++) {
        b[p++] = (byte) RESPONSE_RAW;
        p = varint(b, p, valueCount[i] * Float.BYTES);
        p = floats(b, p, out, outputs.get(i), from, n, cols);
      }
    }
    if (p != size) {
      throw new IllegalStateException("encoded " + p + " bytes of " + size);
    }
    return new InferAnswer(b);
  }

  private static int floats(byte[] b, int p, ScoreBatch out, String name, int from, int n, int cols) {
    float[] values;
    int start;
    int len;
    switch (name) {
      case ModelSpec.OUTPUT_SCORE -> {
        values = out.scores();
        start = from;
        len = n;
      }
      case ModelSpec.OUTPUT_UNCERTAINTY -> {
        values = out.uncertainty();
        start = from;
        len = n;
      }
      case ModelSpec.OUTPUT_ATTRIBUTIONS -> {
        values = out.attributions();
        start = from * cols;
        len = n * cols;
      }
      case ModelSpec.OUTPUT_PROBABILITY -> {
        values = out.probability();
        start = from;
        len = n;
      }
      default -> throw new IllegalStateException("output " + name + " was not validated");
    }
    if (values == null) {
      throw new IllegalStateException("the model gave no " + name);
    }
    for (int i = 0; i < len; i++) {
      FLOAT_LE.set(b, p, values[start + i]);
      p += Float.BYTES;
    }
    return p;
  }

  private static int varintSize(int v) {
    if ((v & (~0 << 7)) == 0) {
      return 1;
    }
    if ((v & (~0 << 14)) == 0) {
      return 2;
    }
    if ((v & (~0 << 21)) == 0) {
      return 3;
    }
    if ((v & (~0 << 28)) == 0) {
      return 4;
    }
    return 5;
  }

  private static int varint(byte[] b, int p, int v) {
    while ((v & ~0x7F) != 0) {
      b[p++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[p++] = (byte) v;
    return p;
  }

  /** The response marshaller of ModelInfer: encoded answers out; parses (for clients) into one. */
  static final MethodDescriptor.Marshaller<InferAnswer> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InferAnswer value) {
      return new Stream(value.bytes);
    }

    @Override
    public InferAnswer parse(InputStream stream) {
      try {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        stream.transferTo(buf);
        return new InferAnswer(buf.toByteArray());
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read an answer").withCause(e).asRuntimeException();
      }
    }
  };

  /** The bytes as a stream gRPC knows the length of and drains in one write. */
  private static final class Stream extends InputStream implements KnownLength, Drainable {
    private final byte[] bytes;
    private int pos;

    Stream(byte[] bytes) {
      this.bytes = requireNonNull(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = bytes.length - pos;
      target.write(bytes, pos, n);
      pos = bytes.length;
      return n;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] into, int off, int len) {
      if (pos >= bytes.length) {
        return -1;
      }
      int n = Math.min(len, bytes.length - pos);
      System.arraycopy(bytes, pos, into, off, n);
      pos += n;
      return n;
    }

    @Override
    public int available() {
      return bytes.length - pos;
    }
  }
}
