package io.vigil.serving;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelSpec;
import io.vigil.schemas.inference.GRPCInferenceServiceGrpc;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferRequest.InferInputTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a {@code ModelInferRequest} against the model's signature and only then decodes it. Every
 * check runs before any tensor memory is allocated; a failed check is an {@link
 * ErrorCode#INVALID_ARGUMENT} {@link ServingException} whose message says what is wrong in the
 * request's own terms.
 *
 * <p>The signature of every Vigil model: one input {@value #INPUT}, {@value #FP32}, shape {@code
 * [batch, features]}; outputs as listed in its spec. Request parameters (all optional): {@value
 * #SAMPLE_ID} and {@value #ENTITY} (strings, comma-separated, one per row; one entity may stand for
 * all rows), {@value #WINDOW_START} and {@value #WINDOW_END} (int64 epoch milliseconds).
 */
public final class InferRequestDecoder {

  public static final String INPUT = "features";
  public static final String FP32 = "FP32";
  public static final String SAMPLE_ID = "sample_id";
  public static final String ENTITY = "entity";
  public static final String WINDOW_START = "window_start";
  public static final String WINDOW_END = "window_end";
  /**
   * Request parameter (bool, default true): false skips this server's own prediction log for the
   * request, for callers that record predictions themselves (the streaming scoring stage).
   */
  public static final String LOG_PREDICTION = "log_prediction";

  /** The data types the protocol defines. */
  static final Set<String> DATATYPES = Set.of("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8",
      "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES", "BF16");

  private static final MethodDescriptor.Marshaller<ModelInferRequest> GENERATED =
      GRPCInferenceServiceGrpc.getModelInferMethod().getRequestMarshaller();

  /**
   * The request marshaller of ModelInfer: parses the same message as the generated one (same
   * errors), from one array of the message's exact length that the parsed message then shares
   * (protobuf aliasing). The generated marshaller reads a request into a per-thread scratch array
   * and copies {@code raw_input_contents} out of it again; here the raw input bytes (314 KB for
   * 256 rows of 307 features) are copied once out of the transport's buffers, and {@link #decode}
   * reads the values from there. Serialising (clients, tests) is the generated one.
   */
  static final MethodDescriptor.Marshaller<ModelInferRequest> MARSHALLER =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(ModelInferRequest value) {
          return GENERATED.stream(value);
        }

        @Override
        public ModelInferRequest parse(InputStream stream) {
          try {
            byte[] bytes;
            if (stream instanceof KnownLength) {
              bytes = new byte[stream.available()];
              int n = stream.readNBytes(bytes, 0, bytes.length);
              if (n != bytes.length || stream.read() != -1) {
                throw Status.INTERNAL.withDescription("the request's length is not what the transport said")
                    .asRuntimeException();
              }
            } else {
              bytes = stream.readAllBytes();
            }
            // a stream over an array it may share (nothing else holds it): with aliasing on,
            // bytes fields are views of it instead of copies
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
            in.enableAliasing(true);
            ModelInferRequest request = ModelInferRequest.parseFrom(in);
            in.checkLastTagWas(0);
            return request;
          } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e)
                .asRuntimeException();
          } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read the request").withCause(e).asRuntimeException();
          }
        }
      };

  private InferRequestDecoder() {}

  public static DecodedRequest decode(ModelInferRequest req, ModelSpec spec, int maxBatchRows) {
    int cols = spec.inputSize();
    // 1. input names: exactly one, the model's
    if (req.getInputsCount() == 0) {
      throw ServingException.invalid("the request has no inputs; the model takes '" + INPUT + "'");
    }
    Set<String> names = req.getInputsCount() == 1 ? null : new HashSet<>();
    for (InferInputTensor t : req.getInputsList()) {
      if (names != null && !names.add(t.getName())) {
        throw ServingException.invalid("input '" + t.getName() + "' appears more than once");
      }
      if (!t.getName().equals(INPUT)) {
        throw ServingException.invalid("unknown input '" + t.getName() + "'; the model takes '"
            + INPUT + "'");
      }
    }
    InferInputTensor in = req.getInputs(0);
    // 2. raw xor typed
    boolean raw = req.getRawInputContentsCount() > 0;
    if (raw) {
      if (in.hasContents()) {
        throw ServingException.invalid("input '" + INPUT + "' has typed contents and the request has"
            + " raw_input_contents: use one or the other");
      }
      if (req.getRawInputContentsCount() != req.getInputsCount()) {
        throw ServingException.invalid("raw_input_contents has " + req.getRawInputContentsCount()
            + " entries for " + req.getInputsCount() + " input(s)");
      }
    }
    // 3. datatype
    if (!DATATYPES.contains(in.getDatatype())) {
      throw ServingException.invalid("input '" + INPUT + "' has unknown datatype '"
          + printable(in.getDatatype()) + "'");
    }
    if (!in.getDatatype().equals(FP32)) {
      throw ServingException.invalid("input '" + INPUT + "' has datatype " + in.getDatatype()
          + "; the model takes " + FP32);
    }
    // 4. shape
    List<Long> shape = in.getShapeList();
    if (shape.size() != 2) {
      throw ServingException.invalid("input '" + INPUT + "' has shape " + shape
          + "; the model takes [batch, " + cols + "]");
    }
    long elements = 1;
    for (long d : shape) {
      if (d < 0) {
        throw ServingException.invalid("input '" + INPUT + "' has a negative dimension in shape " + shape);
      }
      try {
        elements = Math.multiplyExact(elements, d);
      } catch (ArithmeticException e) {
        throw ServingException.invalid("input '" + INPUT + "' has shape " + shape + ", which is too large");
      }
    }
    if (shape.get(1) != cols) {
      throw ServingException.invalid("input '" + INPUT + "' has " + shape.get(1)
          + " features per row; the model takes " + cols);
    }
    long rows = shape.get(0);
    if (rows == 0) {
      throw ServingException.invalid("input '" + INPUT + "' has no rows");
    }
    if (rows > maxBatchRows) {
      throw ServingException.invalid("input '" + INPUT + "' has " + rows
          + " rows, above the maximum batch of " + maxBatchRows);
    }
    // 5. content size, before allocating
    ByteString rawBytes = null;
    if (raw) {
      rawBytes = req.getRawInputContents(0);
      if (rawBytes.size() != elements * Float.BYTES) {
        throw ServingException.invalid("raw content of input '" + INPUT + "' has " + rawBytes.size()
            + " bytes; shape " + shape + " of " + FP32 + " needs " + elements * Float.BYTES);
      }
    } else {
      InferTensorContents c = in.getContents();
      String other = otherTypedContents(c);
      if (other != null) {
        throw ServingException.invalid("input '" + INPUT + "' is " + FP32 + " but carries " + other
            + " contents");
      }
      if (c.getFp32ContentsCount() != elements) {
        throw ServingException.invalid("input '" + INPUT + "' has " + c.getFp32ContentsCount() + " "
            + FP32 + " values; shape " + shape + " needs " + elements);
      }
    }
    // 6. outputs
    List<String> outputs;
    if (req.getOutputsCount() == 0) {
      outputs = spec.outputs();
    } else {
      outputs = new ArrayList<>();
      for (ModelInferRequest.InferRequestedOutputTensor o : req.getOutputsList()) {
        if (!spec.outputs().contains(o.getName())) {
          throw ServingException.invalid("unknown output '" + printable(o.getName())
              + "'; the model gives " + spec.outputs());
        }
        if (outputs.contains(o.getName())) {
          throw ServingException.invalid("output '" + o.getName() + "' is requested more than once");
        }
        outputs.add(o.getName());
      }
    }
    // 7. row keys
    int n = (int) rows;
    Map<String, InferParameter> params = req.getParametersMap();
    List<String> sampleIds = perRow(params, SAMPLE_ID, n, false);
    List<String> entities = perRow(params, ENTITY, n, true);
    Long windowStart = millis(params, WINDOW_START);
    Long windowEnd = millis(params, WINDOW_END);
    // 8. decode
    float[] values = new float[(int) elements];
    if (raw) {
      FloatBuffer fb = rawBytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      fb.get(values);
    } else {
      InferTensorContents c = in.getContents();
      for (int i = 0; i < values.length; i++) {
        values[i] = c.getFp32Contents(i);
      }
    }
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        throw ServingException.invalid("input '" + INPUT + "' holds a non-finite value in row "
            + (i / cols) + ", column " + (i % cols));
      }
    }
    // attributions are computed only when asked for (see InferenceService for the prediction log)
    boolean attributions = outputs.contains(ModelSpec.OUTPUT_ATTRIBUTIONS);
    return new DecodedRequest(new FeatureBatch(values, n, cols, attributions), outputs, raw, sampleIds, entities,
        windowStart, windowEnd);
  }

  /**
   * The request's {@value #LOG_PREDICTION} parameter: true when absent; a parameter of another type
   * than bool is {@link ErrorCode#INVALID_ARGUMENT}.
   */
  public static boolean logPrediction(ModelInferRequest req) {
    InferParameter p = req.getParametersMap().get(LOG_PREDICTION);
    if (p == null) {
      return true;
    }
    if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
      throw ServingException.invalid("parameter '" + LOG_PREDICTION + "' must be a bool");
    }
    return p.getBoolParam();
  }

  private static String otherTypedContents(InferTensorContents c) {
    if (c.getBoolContentsCount() > 0) {
      return "BOOL";
    }
    if (c.getIntContentsCount() > 0) {
      return "INT32";
    }
    if (c.getInt64ContentsCount() > 0) {
      return "INT64";
    }
    if (c.getUintContentsCount() > 0) {
      return "UINT32";
    }
    if (c.getUint64ContentsCount() > 0) {
      return "UINT64";
    }
    if (c.getFp64ContentsCount() > 0) {
      return "FP64";
    }
    if (c.getBytesContentsCount() > 0) {
      return "BYTES";
    }
    return null;
  }

  private static List<String> perRow(Map<String, InferParameter> params, String key, int rows,
      boolean oneForAll) {
    InferParameter p = params.get(key);
    if (p == null) {
      return List.of();
    }
    if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
      throw ServingException.invalid("parameter '" + key + "' must be a string");
    }
    List<String> values = Arrays.stream(p.getStringParam().split(",", -1)).map(String::trim).toList();
    for (String v : values) {
      if (v.isEmpty() || v.length() > 256) {
        throw ServingException.invalid("parameter '" + key + "' has an empty or over-long value");
      }
    }
    if (oneForAll && values.size() == 1 && rows > 1) {
      return java.util.Collections.nCopies(rows, values.get(0));
    }
    if (values.size() != rows) {
      throw ServingException.invalid("parameter '" + key + "' has " + values.size()
          + " value(s) for " + rows + " row(s)");
    }
    return values;
  }

  private static Long millis(Map<String, InferParameter> params, String key) {
    InferParameter p = params.get(key);
    if (p == null) {
      return null;
    }
    if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
      throw ServingException.invalid("parameter '" + key + "' must be an int64 (epoch milliseconds)");
    }
    return p.getInt64Param();
  }

  private static String printable(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return t.replaceAll("[^\\x20-\\x7E]", "?");
  }
}
