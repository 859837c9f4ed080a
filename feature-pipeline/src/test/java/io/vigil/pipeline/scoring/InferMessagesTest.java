package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.features.FeatureSet;
import io.vigil.model.ModelSpec;
import io.vigil.schemas.inference.InferParameter;
import io.vigil.schemas.inference.ModelInferRequest;
import io.vigil.schemas.inference.ModelInferResponse;
import io.vigil.serving.DecodedRequest;
import io.vigil.serving.InferRequestDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The request is what the serving process's own decoder accepts, and the answer is read output by
 * output; attributions fold into the top raw metrics.
 */
class InferMessagesTest {

  static final List<String> NAMES = List.of("cpu.last", "cpu.w10.mean", "mem.last", "summary.max_abs_z");

  static ScoringInput vector(String entity) {
    ScoringInput in = new ScoringInput();
    in.sampleId = "s-0123456789abcdef0123456789abcdef";
    in.entity = entity;
    in.windowStart = 1_000;
    in.windowEnd = 2_000;
    in.featureSetVersion = "fs-1";
    in.names = new String[0];
    in.values = new double[] {0.5, 1.5, -2, 3};
    return in;
  }

  @Test
  void theRequestIsAOneRowRawTensorThatServingAcceptsAndAsksItNotToLog() {
    ModelSpec spec = ModelSpec.of(new ModelSpec.Architecture(ModelSpec.Kind.AUTOENCODER, List.of(3)),
        new ModelSpec.Inputs(NAMES, "t", "fs-1"), ModelSpec.ScoreScale.identity(2), 1);
    ModelInferRequest r = InferMessages.request("m", vector("host-1"));
    DecodedRequest d = InferRequestDecoder.decode(r, spec, 16);
    assertThat(d.rows()).isEqualTo(1);
    assertThat(d.raw()).isTrue();
    assertThat(d.batch().values()).containsExactly(0.5f, 1.5f, -2f, 3f);
    assertThat(d.outputs()).containsExactlyElementsOf(spec.outputs());
    assertThat(d.sampleIds()).containsExactly("s-0123456789abcdef0123456789abcdef");
    assertThat(d.entities()).containsExactly("host-1");
    assertThat(d.windowEndMillis()).isEqualTo(2_000L);
    assertThat(InferRequestDecoder.logPrediction(r)).isFalse();
    // an entity the server would split on its comma is simply not sent
    assertThat(InferMessages.request("m", vector("a,b")).getParametersMap()).doesNotContainKey("entity");
  }

  static ModelInferResponse.Builder response(float score, Float probability) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("7");
    b.addOutputs(out("score", 1)).addRawOutputContents(le(score));
    b.addOutputs(out("uncertainty", 1)).addRawOutputContents(le(0.25f));
    b.addOutputs(out("attributions", 1, 4)).addRawOutputContents(le(0.1f, 0.3f, 0.4f, 0.2f));
    if (probability != null) {
      b.addOutputs(out("probability", 1)).addRawOutputContents(le(probability));
    }
    return b.putParameters("threshold", InferParameter.newBuilder().setDoubleParam(2.5).build())
        .putParameters("model_alias", InferParameter.newBuilder().setStringParam("champion").build());
  }

  static ModelInferResponse.InferOutputTensor out(String name, long... shape) {
    ModelInferResponse.InferOutputTensor.Builder t =
        ModelInferResponse.InferOutputTensor.newBuilder().setName(name).setDatatype("FP32");
    for (long s : shape) {
      t.addShape(s);
    }
    return t.build();
  }

  static com.google.protobuf.ByteString le(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return com.google.protobuf.ByteString.copyFrom(b.array());
  }

  @Test
  void readsEveryOutputAndTheThresholdAndTheAlias() {
    InferAnswer a = InferMessages.answer(response(3f, 0.9f).build(), 4);
    assertThat(a.score()).isEqualTo(3.0);
    assertThat(a.uncertainty()).isEqualTo(0.25);
    assertThat(a.probability()).isCloseTo(0.9, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(a.threshold()).isEqualTo(2.5);
    assertThat(a.modelAlias()).isEqualTo("champion");
    assertThat(a.modelVersion()).isEqualTo("7");
    assertThat(a.attributions()).containsExactly(0.1f, 0.3f, 0.4f, 0.2f);
    assertThat(a.featureSetVersion()).isNull();
    assertThat(InferMessages.answer(response(1f, null).build(), 4).probability()).isNull();
  }

  @Test
  void anAnswerWithoutThresholdOrScoreIsUnusable() {
    assertThatThrownBy(() -> InferMessages.answer(response(3f, null).removeParameters("threshold").build(), 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threshold");
    assertThatThrownBy(() -> InferMessages.answer(response(3f, null).build(), 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attributions");
    ModelInferResponse noScore = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("1")
        .putParameters("threshold", InferParameter.newBuilder().setDoubleParam(1).build()).build();
    assertThatThrownBy(() -> InferMessages.answer(noScore, 4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("score");
  }

  @Test
  void attributionsFoldIntoTheRawMetricsLeavingTheSummaryOut() {
    FeatureSet set = FeatureSet.standard("t", List.of("cpu", "cpu_r", "mem", "disk", "net", "load", "swap"));
    PredictionAttributions fold = new PredictionAttributions(set);
    List<String> names = set.featureNames();
    float[] a = new float[names.size()];
    for (int i = 0; i < names.size(); i++) {
      String n = names.get(i);
      a[i] = n.startsWith("cpu_r.") ? 0.02f : n.startsWith("cpu.") ? 0.01f : n.startsWith("summary.") ? 0.2f
          : n.startsWith("swap.") ? 0.0f : 0.005f;
    }
    ScoringInput in = vector("h");
    in.featureSetVersion = set.version();
    Map<String, Double> top = fold.of(in, a);
    // every metric with a share, largest first (ties in declared order); none for the summary, none for swap (0)
    assertThat(top.keySet()).containsExactly("cpu_r", "cpu", "mem", "disk", "net", "load");
    int perMetric = (names.size() - 3) / 7;
    assertThat(top.get("cpu_r")).isCloseTo(0.02 * perMetric, org.assertj.core.data.Offset.offset(1e-6));
    // a vector of another feature set without names: no attributions rather than wrong ones
    in.featureSetVersion = "fs-other";
    assertThat(fold.of(in, a)).isEmpty();
    // names carried by the vector win
    in.names = names.toArray(new String[0]);
    assertThat(fold.of(in, a)).isEqualTo(top);
  }
}
