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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A {@code ModelInferResponse} in its wire form, written straight from the batch's score arrays
 * (the request's rows of them): no message builder, no per-value list, no second pass to
 * serialise. The bytes are exactly what {@link ModelInferResponse#toByteArray()} gives for the
 * same answer ({@link InferResponses#infer} builds that message; a test compares the two).
 * {@link #MARSHALLER} hands the answer to gRPC as a {@link KnownLength} {@link Drainable} stream
 * that writes it, in pieces of {@link #CHUNK} bytes, straight into the transport's buffer: no
 * array of the whole answer is made on the way ({@link #bytes()} makes one when asked).
 */
final class InferAnswer {

  // wire tags: field number << 3 | wire type 2 (length-delimited)
  private static final int RESPONSE_ID = 3 << 3 | 2;
  private static final int RESPONSE_OUTPUTS = 5 << 3 | 2;
  private static final int RESPONSE_RAW = 6 << 3 | 2;
  private static final int TENSOR_SHAPE = 3 << 3 | 2;
  private static final int TENSOR_CONTENTS = 5 << 3 | 2;
  private static final int CONTENTS_FP32 = 6 << 3 | 2;

  /**
   * Larger answers are handed to the transport in pieces of this size, each filled from the score
   * arrays in one bulk copy, rather than through one array of the whole answer (314 KB of
   * attributions for 256 rows of 307 features).
   */
  static final int CHUNK = 16 * 1024;

  private final Template template;
  private final ByteString requestId;
  private final boolean raw;
  private final int rows;
  private final int cols;
  private final byte[][] heads;
  private final boolean[] matrix;
  private final int[] tensorLen;
  private final float[][] values;
  private final int[] start;
  private final int[] count;
  private final int size;
  /** The whole answer as one array, made only when asked for ({@link #bytes()}). */
  private byte[] bytes;

  private InferAnswer(Template template, ByteString requestId, boolean raw, int rows, int cols,
      byte[][] heads, boolean[] matrix, int[] tensorLen, float[][] values, int[] start, int[] count,
      int size) {
    this.template = template;
    this.requestId = requestId;
    this.raw = raw;
    this.rows = rows;
    this.cols = cols;
    this.heads = heads;
    this.matrix = matrix;
    this.tensorLen = tensorLen;
    this.values = values;
    this.start = start;
    this.count = count;
    this.size = size;
  }

  /** An answer read back from its bytes (the client side of {@link #MARSHALLER}). */
  private InferAnswer(byte[] bytes) {
    this(null, null, false, 0, 0, null, null, null, null, null, null, bytes.length);
    this.bytes = bytes;
  }

  /** Length of the encoded answer in bytes. */
  int size() {
    return size;
  }

  /** The encoded answer as one array (tests, the generated form); made once. */
  synchronized byte[] bytes() {
    if (bytes == null) {
      byte[] b = new byte[size];
      try {
        write(new Writer(b, null));
      } catch (IOException e) {
        throw new IllegalStateException("writing into an array failed", e);
      }
      bytes = b;
    }
    return bytes;
  }

  /** Writes the encoded answer to {@code out} in pieces of at most {@link #CHUNK} bytes. */
  void writeTo(OutputStream out) throws IOException {
    byte[] whole;
    synchronized (this) {
      whole = bytes;
    }
    if (whole != null) {
      out.write(whole);
    } else {
      write(new Writer(SCRATCH.get(), out));
    }
  }

  /**
   * The piece each thread fills and hands to the transport, which copies it into its own buffers
   * before {@code write} returns: one per thread for all its answers instead of one per answer.
   */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[CHUNK]);

  ModelInferResponse toMessage() {
    try {
      return ModelInferResponse.parseFrom(bytes());
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
   * requested outputs, typed or raw as the request was. Everything that can fail (an output that
   * was not validated, one the model did not give) fails here; the bytes are written when the
   * transport asks for them ({@link #MARSHALLER}), straight from {@code out}'s arrays.
   */
  static InferAnswer encode(Template t, ByteString requestId, List<String> outputs, boolean raw,
      ScoreBatch out, int from, int n) {
    int cols = out.cols();
    int k = outputs.size();
    byte[][] heads = new byte[k][];
    boolean[] matrix = new boolean[k];
    int[] tensorLen = new int[k];
    float[][] values = new float[k][];
    int[] start = new int[k];
    int[] count = new int[k];
    int size = t.nameAndVersion.length + t.parameters.length;
    if (!requestId.isEmpty()) {
      size += 1 + varintSize(requestId.size()) + requestId.size();
    }
    for (int i = 0; i < k; i++) {
      String name = outputs.get(i);
      heads[i] = t.head(name);
      matrix[i] = name.equals(ModelSpec.OUTPUT_ATTRIBUTIONS);
      values[i] = switch (name) {
        case ModelSpec.OUTPUT_SCORE -> out.scores();
        case ModelSpec.OUTPUT_UNCERTAINTY -> out.uncertainty();
        case ModelSpec.OUTPUT_ATTRIBUTIONS -> out.attributions();
        case ModelSpec.OUTPUT_PROBABILITY -> out.probability();
        default -> throw new IllegalStateException("output " + name + " was not validated");
      };
      if (values[i] == null) {
        throw new IllegalStateException("the model gave no " + name);
      }
      start[i] = matrix[i] ? from * cols : from;
      count[i] = matrix[i] ? n * cols : n;
      int shapeLen = varintSize(n) + (matrix[i] ? varintSize(cols) : 0);
      int len = heads[i].length + 1 + varintSize(shapeLen) + shapeLen;
      int data = count[i] * Float.BYTES;
      if (!raw) {
        int contents = 1 + varintSize(data) + data;
        len += 1 + varintSize(contents) + contents;
      }
      tensorLen[i] = len;
      size += 1 + varintSize(len) + len;
      if (raw) {
        size += 1 + varintSize(data) + data;
      }
    }
    return new InferAnswer(t, requestId, raw, n, cols, heads, matrix, tensorLen, values, start, count, size);
  }

  /** The fields in the order the generated message writes them. */
  private void write(Writer w) throws IOException {
    w.bytes(template.nameAndVersion);
    if (!requestId.isEmpty()) {
      w.put(RESPONSE_ID);
      w.varint(requestId.size());
      w.bytes(requestId);
    }
    w.bytes(template.parameters);
    for (int i = 0; i < heads.length; i++) {
      w.put(RESPONSE_OUTPUTS);
      w.varint(tensorLen[i]);
      w.bytes(heads[i]);
      w.put(TENSOR_SHAPE);
      w.varint(varintSize(rows) + (matrix[i] ? varintSize(cols) : 0));
      w.varint(rows);
      if (matrix[i]) {
        w.varint(cols);
      }
      if (!raw) {
        int data = count[i] * Float.BYTES;
        w.put(TENSOR_CONTENTS);
        w.varint(1 + varintSize(data) + data);
        w.put(CONTENTS_FP32);
        w.varint(data);
        w.floats(values[i], start[i], count[i]);
      }
    }
    if (raw) {
      for (int i = 0; i < heads.length; i++) {
        w.put(RESPONSE_RAW);
        w.varint(count[i] * Float.BYTES);
        w.floats(values[i], start[i], count[i]);
      }
    }
    w.finish(size);
  }

  /**
   * Fills a buffer and, when it is full, hands it to the transport's stream and starts over; with
   * no stream, the buffer is the whole answer and must never fill up before the end.
   */
  private static final class Writer {
    private final byte[] buf;
    private final OutputStream out;
    private int pos;
    private long flushed;

    Writer(byte[] buf, OutputStream out) {
      this.buf = buf;
      this.out = out;
    }

    void put(int b) throws IOException {
      if (pos == buf.length) {
        flush();
      }
      buf[pos++] = (byte) b;
    }

    void varint(int v) throws IOException {
      while ((v & ~0x7F) != 0) {
        put((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      put(v);
    }

    void bytes(byte[] b) throws IOException {
      int off = 0;
      while (off < b.length) {
        if (pos == buf.length) {
          flush();
        }
        int k = Math.min(b.length - off, buf.length - pos);
        System.arraycopy(b, off, buf, pos, k);
        pos += k;
        off += k;
      }
    }

    void bytes(ByteString b) throws IOException {
      int off = 0;
      while (off < b.size()) {
        if (pos == buf.length) {
          flush();
        }
        int k = Math.min(b.size() - off, buf.length - pos);
        b.copyTo(buf, off, pos, k);
        pos += k;
        off += k;
      }
    }

    /**
     * Little-endian values, as many as fit at a time in one bulk copy (a memory copy on
     * little-endian hardware); the bits are kept as they are (-0.0 stays -0.0), as the generated
     * message writes them.
     */
    void floats(float[] values, int from, int n) throws IOException {
      while (n > 0) {
        if (buf.length - pos < Float.BYTES) {
          flush();
        }
        int k = Math.min(n, (buf.length - pos) / Float.BYTES);
        ByteBuffer.wrap(buf, pos, k * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
            .put(values, from, k);
        pos += k * Float.BYTES;
        from += k;
        n -= k;
      }
    }

    void finish(int size) throws IOException {
      if (flushed + pos != size) {
        throw new IllegalStateException("encoded " + (flushed + pos) + " bytes of " + size);
      }
      if (out != null && pos > 0) {
        flush();
      }
    }

    private void flush() throws IOException {
      if (out == null) {
        throw new IllegalStateException("the answer is longer than its computed size");
      }
      out.write(buf, 0, pos);
      flushed += pos;
      pos = 0;
    }
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

  /** The response marshaller of ModelInfer: encoded answers out; parses (for clients) into one. */
  static final MethodDescriptor.Marshaller<InferAnswer> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InferAnswer value) {
      return new Stream(value);
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

  /**
   * The answer as a stream gRPC knows the length of and drains in one call, which writes it
   * straight into the transport's buffer ({@link #writeTo}); reading it byte by byte instead (a
   * transport that does not drain) goes through {@link #bytes()}.
   */
  private static final class Stream extends InputStream implements KnownLength, Drainable {
    private final InferAnswer answer;
    private int pos;

    Stream(InferAnswer answer) {
      this.answer = requireNonNull(answer);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = answer.size() - pos;
      if (pos == 0) {
        answer.writeTo(target);
      } else {
        target.write(answer.bytes(), pos, n);
      }
      pos = answer.size();
      return n;
    }

    @Override
    public int read() {
      return pos < answer.size() ? answer.bytes()[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] into, int off, int len) {
      if (pos >= answer.size()) {
        return -1;
      }
      int n = Math.min(len, answer.size() - pos);
      System.arraycopy(answer.bytes(), pos, into, off, n);
      pos += n;
      return n;
    }

    @Override
    public int available() {
      return answer.size() - pos;
    }
  }
}
