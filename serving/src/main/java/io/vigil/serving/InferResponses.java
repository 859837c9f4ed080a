package io.vigil.serving;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.schemas.inference.ModelInferResponse.InferOutputTensor;
import io.vigil.schemas.inference.ModelMetadataResponse;
import io.vigil.schemas.inference.ModelMetadataResponse.TensorMetadata;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Builds protocol answers: inference outputs (raw when the request was raw) and model metadata. */
final class InferResponses {

  static final String PLATFORM = "pytorch_djl";

  private InferResponses() {}

  /** Response parameter: the model's operating threshold on the common score scale (double). */
  static final String PARAM_THRESHOLD = "threshold";
  /** Response parameter: the alias the answering version was resolved through (string, when known). */
  static final String PARAM_MODEL_ALIAS = "model_alias";
  /** Response parameter: the feature-set version the model was trained on (string). */
  static final String PARAM_FEATURE_SET_VERSION = "feature_set_version";

  static ModelInferResponse infer(String requestId, ModelId model, ModelSpec spec, DecodedRequest req,
      ScoreBatch out) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
        .setModelName(model.name()).setModelVersion(model.version()).setId(requestId);
    b.putParameters(PARAM_THRESHOLD, InferParameter.newBuilder().setDoubleParam(spec.scale().threshold()).build());
    if (model.alias() != null) {
      b.putParameters(PARAM_MODEL_ALIAS, InferParameter.newBuilder().setStringParam(model.alias()).build());
    }
    String fsv = spec.inputs().featureSetVersion();
    if (fsv != null && !fsv.isEmpty()) {
      b.putParameters(PARAM_FEATURE_SET_VERSION, InferParameter.newBuilder().setStringParam(fsv).build());
    }
    int rows = out.rows();
    for (String name : req.outputs()) {
      float[] values;
      List<Long> shape;
      switch (name) {
        case ModelSpec.OUTPUT_SCORE -> {
          values = out.scores();
          shape = List.of((long) rows);
        }
        case ModelSpec.OUTPUT_UNCERTAINTY -> {
          values = out.uncertainty();
          shape = List.of((long) rows);
        }
        case ModelSpec.OUTPUT_ATTRIBUTIONS -> {
          values = out.attributions();
          shape = List.of((long) rows, (long) out.cols());
        }
        case ModelSpec.OUTPUT_PROBABILITY -> { // only models with a supervised head list it
          values = out.probability();
          shape = List.of((long) rows);
        }
        default -> throw new IllegalStateException("output " + name + " was not validated");
      }
      InferOutputTensor.Builder t = InferOutputTensor.newBuilder()
          .setName(name).setDatatype(InferRequestDecoder.FP32).addAllShape(shape);
      if (req.raw()) {
        b.addRawOutputContents(littleEndian(values));
      } else {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (float v : values) {
          c.addFp32Contents(v);
        }
        t.setContents(c);
      }
      b.addOutputs(t);
    }
    return b.build();
  }

  static ModelMetadataResponse metadata(ModelId model, ModelSpec spec) {
    long cols = spec.inputSize();
    ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
        .setName(model.name()).addVersions(model.version()).setPlatform(PLATFORM)
        .addInputs(tensor(InferRequestDecoder.INPUT, List.of(-1L, cols)));
    for (String out : spec.outputs()) {
      b.addOutputs(tensor(out, out.equals(ModelSpec.OUTPUT_ATTRIBUTIONS) ? List.of(-1L, cols) : List.of(-1L)));
    }
    return b.build();
  }

  private static TensorMetadata tensor(String name, List<Long> shape) {
    return TensorMetadata.newBuilder().setName(name).setDatatype(InferRequestDecoder.FP32)
        .addAllShape(shape).build();
  }

  static ByteString littleEndian(float[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    // the array is never touched again: wrap it instead of copying it
    return UnsafeByteOperations.unsafeWrap(buf.array());
  }
}
