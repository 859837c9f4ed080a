package io.vigil.pipeline.scoring;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferRequest.InferInputTensor;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.inference.ModelInferResponse.InferOutputTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The Open Inference Protocol messages of the scoring stage: one row per request as a raw FP32
 * tensor, and the reading of the answer.
 *
 * <p>The request lists no outputs, which in the protocol means "every output the model has": a
 * model with a {@code probability} output returns it, one without does not, and a hot swap to a
 * version with other outputs never makes a request invalid.
 */
final class InferMessages {

  static final String INPUT = "features";
  static final String FP32 = "FP32";
  static final String OUTPUT_SCORE = "score";
  static final String OUTPUT_UNCERTAINTY = "uncertainty";
  static final String OUTPUT_ATTRIBUTIONS = "attributions";
  static final String OUTPUT_PROBABILITY = "probability";
  static final String PARAM_SAMPLE_ID = "sample_id";
  static final String PARAM_ENTITY = "entity";
  static final String PARAM_WINDOW_START = "window_start";
  static final String PARAM_WINDOW_END = "window_end";
  static final String PARAM_LOG_PREDICTION = "log_prediction";
  static final String PARAM_THRESHOLD = "threshold";
  static final String PARAM_MODEL_ALIAS = "model_alias";
  static final String PARAM_FEATURE_SET_VERSION = "feature_set_version";

  private InferMessages() {}

  /**
   * A one-row request for {@code in}; the server is asked not to log it ({@code log_prediction =
   * false}): this stage writes the prediction itself, exactly once.
   */
  static ModelInferRequest request(String modelName, ScoringInput in) {
    int cols = in.values.length;
    ByteBuffer buf = ByteBuffer.allocate(cols * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : in.values) {
      buf.putFloat((float) v);
    }
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder()
        .setModelName(modelName)
        .setId(in.sampleId)
        .addInputs(InferInputTensor.newBuilder().setName(INPUT).setDatatype(FP32).addShape(1).addShape(cols))
        .addRawInputContents(UnsafeByteOperations.unsafeWrap(buf.array()))
        .putParameters(PARAM_LOG_PREDICTION, InferParameter.newBuilder().setBoolParam(false).build())
        .putParameters(PARAM_WINDOW_START, InferParameter.newBuilder().setInt64Param(in.windowStart).build())
        .putParameters(PARAM_WINDOW_END, InferParameter.newBuilder().setInt64Param(in.windowEnd).build());
    // the server splits these on commas (one per row): send them only when they are one value
    if (in.sampleId != null && !in.sampleId.isEmpty() && in.sampleId.indexOf(',') < 0 && in.sampleId.length() <= 256) {
      b.putParameters(PARAM_SAMPLE_ID, InferParameter.newBuilder().setStringParam(in.sampleId).build());
    }
    if (in.entity.indexOf(',') < 0 && in.entity.length() <= 256) {
      b.putParameters(PARAM_ENTITY, InferParameter.newBuilder().setStringParam(in.entity).build());
    }
    return b.build();
  }

  /**
   * Reads a one-row answer.
   *
   * @throws IllegalArgumentException when the answer lacks what a prediction needs (a {@code score},
   *     an {@code uncertainty}, the {@code threshold} parameter) or is malformed
   */
  static InferAnswer answer(ModelInferResponse r, int cols) {
    Float score = null;
    Float uncertainty = null;
    Float probability = null;
    float[] attributions = null;
    boolean raw = r.getRawOutputContentsCount() > 0;
    if (raw && r.getRawOutputContentsCount() != r.getOutputsCount()) {
      throw new IllegalArgumentException("the answer has " + r.getRawOutputContentsCount()
          + " raw output contents for " + r.getOutputsCount() + " outputs");
    }
    for (int i = 0; i < r.getOutputsCount(); i++) {
      InferOutputTensor t = r.getOutputs(i);
      switch (t.getName()) {
        case OUTPUT_SCORE -> score = single(t, values(r, i, raw));
        case OUTPUT_UNCERTAINTY -> uncertainty = single(t, values(r, i, raw));
        case OUTPUT_PROBABILITY -> probability = single(t, values(r, i, raw));
        case OUTPUT_ATTRIBUTIONS -> {
          float[] a = values(r, i, raw);
          if (a.length != cols) {
            throw new IllegalArgumentException("output 'attributions' has " + a.length
                + " values for a row of " + cols + " features");
          }
          attributions = a;
        }
        default -> {
          // an output this stage does not use
        }
      }
    }
    if (score == null || uncertainty == null) {
      throw new IllegalArgumentException("the answer lacks the 'score' or 'uncertainty' output");
    }
    Map<String, InferParameter> p = r.getParametersMap();
    InferParameter threshold = p.get(PARAM_THRESHOLD);
    if (threshold == null || threshold.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.DOUBLE_PARAM) {
      throw new IllegalArgumentException("the answer lacks the double parameter 'threshold'"
          + " (a serving version that reports its operating threshold is needed)");
    }
    return new InferAnswer(r.getModelName(), r.getModelVersion(), string(p, PARAM_MODEL_ALIAS),
        score, probability == null ? null : (double) probability, uncertainty,
        threshold.getDoubleParam(), attributions, string(p, PARAM_FEATURE_SET_VERSION));
  }

  private static String string(Map<String, InferParameter> p, String key) {
    InferParameter v = p.get(key);
    if (v == null || v.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM
        || v.getStringParam().isEmpty()) {
      return null;
    }
    return v.getStringParam();
  }

  private static float single(InferOutputTensor t, float[] values) {
    if (values.length != 1) {
      throw new IllegalArgumentException("output '" + t.getName() + "' has " + values.length
          + " values for one row");
    }
    if (!Float.isFinite(values[0])) {
      throw new IllegalArgumentException("output '" + t.getName() + "' is not finite: " + values[0]);
    }
    return values[0];
  }

  private static float[] values(ModelInferResponse r, int i, boolean raw) {
    InferOutputTensor t = r.getOutputs(i);
    if (!FP32.equals(t.getDatatype())) {
      throw new IllegalArgumentException("output '" + t.getName() + "' is " + t.getDatatype() + ", not FP32");
    }
    if (raw) {
      ByteString bytes = r.getRawOutputContents(i);
      if (bytes.size() % Float.BYTES != 0) {
        throw new IllegalArgumentException("raw output '" + t.getName() + "' has " + bytes.size() + " bytes");
      }
      FloatBuffer fb = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[] out = new float[fb.remaining()];
      fb.get(out);
      return out;
    }
    int n = t.getContents().getFp32ContentsCount();
    float[] out = new float[n];
    for (int j = 0; j < n; j++) {
      out[j] = t.getContents().getFp32Contents(j);
    }
    return out;
  }
}
