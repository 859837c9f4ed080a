package io.vigil.serving;

import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.InferTensorContents;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferRequest.InferInputTensor;
import io.vigil.schemas.inference.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

/** Builds OIP requests and reads answers, as any client of the protocol would. */
final class Requests {

  private Requests() {}

  static float[] rows(int rows, int cols, long seed) {
    Random r = new Random(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  static InferInputTensor.Builder typedInput(float[] values, long... shape) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (float f : values) {
      c.addFp32Contents(f);
    }
    InferInputTensor.Builder t = InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
        .setContents(c);
    for (long d : shape) {
      t.addShape(d);
    }
    return t;
  }

  static ModelInferRequest typed(String model, float[] values, int rows, int cols) {
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(typedInput(values, rows, cols)).build();
  }

  static ModelInferRequest raw(String model, float[] values, int rows, int cols) {
    return ModelInferRequest.newBuilder().setModelName(model)
        .addInputs(InferInputTensor.newBuilder().setName("features").setDatatype("FP32")
            .addShape(rows).addShape(cols))
        .addRawInputContents(InferResponses.littleEndian(values)).build();
  }

  static ModelInferRequest withSampleIds(ModelInferRequest r, String entity, String... ids) {
    return r.toBuilder()
        .putParameters("sample_id", InferParameter.newBuilder().setStringParam(String.join(",", ids)).build())
        .putParameters("entity", InferParameter.newBuilder().setStringParam(entity).build())
        .build();
  }

  /** The named output's values, whether the answer is typed or raw. */
  static float[] output(ModelInferResponse resp, String name) {
    for (int i = 0; i < resp.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor t = resp.getOutputs(i);
      if (t.getName().equals(name)) {
        if (resp.getRawOutputContentsCount() > 0) {
          ByteBuffer b = resp.getRawOutputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
          float[] out = new float[b.remaining() / 4];
          b.asFloatBuffer().get(out);
          return out;
        }
        List<Float> l = t.getContents().getFp32ContentsList();
        float[] out = new float[l.size()];
        for (int j = 0; j < out.length; j++) {
          out[j] = l.get(j);
        }
        return out;
      }
    }
    throw new AssertionError("no output " + name + " in " + resp.getOutputsList());
  }
}
