package io.vigil.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.vigil.model.FeatureBatch;
import io.vigil.model.ModelSpec;
import io.vigil.model.ScoreBatch;
import io.vigil.schemas.inference.ModelInferResponse;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The answer encoded straight from the score arrays is, byte for byte, the message the protobuf
 * builder makes for the same request rows: typed and raw, every output subset and order, with and
 * without a request id, an alias, a head; rows taken from the middle of a batch; drained in pieces
 * straight into the transport's stream, or read from one array.
 */
class InferAnswerTest {

  static final int COLS = TestRegistry.FEATURES.size();

  @Test
  void encodedAnswersAreTheBuilderMessagesByteForByte() throws Exception {
    ModelSpec plain = TestRegistry.spec(1);
    ModelSpec headed = TestRegistry.spec(2).withHead(new ModelSpec.Head(2, List.of(0.0, 0.3, 0.2),
        List.of(1.0, 0.2, 0.1), List.of(1.5, 0.5, -0.5), -0.5, 1.1, 0.2, 0.5));
    Random r = new Random(3);
    for (ModelSpec spec : List.of(plain, headed)) {
      for (ModelId id : List.of(new ModelId("m", "7", "champion"), new ModelId("model-x", "123", null))) {
        InferAnswer.Template t = new InferAnswer.Template(id, spec);
        int rows = 300; // more than 127: multi-byte lengths and shapes; attributions above InferAnswer.CHUNK
        ScoreBatch all = batch(r, rows, spec.head() != null);
        List<List<String>> selections = List.of(spec.outputs(), List.of(ModelSpec.OUTPUT_ATTRIBUTIONS,
            ModelSpec.OUTPUT_SCORE), List.of(ModelSpec.OUTPUT_UNCERTAINTY));
        for (List<String> outputs : selections) {
          for (boolean raw : new boolean[] {false, true}) {
            for (String requestId : new String[] {"", "req-1", "é-" + "x".repeat(200)}) {
              for (int[] range : new int[][] {{0, rows}, {0, 1}, {17, 1}, {40, 200}, {rows - 1, 1}}) {
                int from = range[0];
                int n = range[1];
                DecodedRequest req = new DecodedRequest(new FeatureBatch(new float[n * COLS], n, COLS), outputs,
                    raw, List.of(), List.of(), null, null);
                ModelInferResponse expected = InferResponses.infer(requestId, id, spec, req, all.slice(from, n));
                InferAnswer a = InferAnswer.encode(t, ByteString.copyFromUtf8(requestId), outputs, raw, all, from, n);
                // drained as the transport does, before any array of the whole answer exists: written
                // in pieces straight from the score arrays
                ByteArrayOutputStream streamed = new ByteArrayOutputStream();
                try (var s = InferAnswer.MARSHALLER.stream(a)) {
                  assertThat(s.available()).isEqualTo(expected.getSerializedSize());
                  assertThat(((io.grpc.Drainable) s).drainTo(streamed)).isEqualTo(expected.getSerializedSize());
                  assertThat(s.read()).isEqualTo(-1);
                }
                assertThat(streamed.toByteArray()).as("drained %s %s raw=%s id=%s rows %d+%d", id, outputs, raw,
                    requestId, from, n).isEqualTo(expected.toByteArray());
                assertThat(a.bytes()).as("%s %s raw=%s id=%s rows %d+%d", id, outputs, raw, requestId, from, n)
                    .isEqualTo(expected.toByteArray());
                assertThat(a.toMessage()).isEqualTo(expected);
                ByteArrayOutputStream drained = new ByteArrayOutputStream();
                try (var s = InferAnswer.MARSHALLER.stream(a)) {
                  assertThat(s.available()).isEqualTo(a.bytes().length);
                  ((io.grpc.Drainable) s).drainTo(drained);
                }
                assertThat(drained.toByteArray()).isEqualTo(a.bytes());
              }
            }
          }
        }
      }
    }
  }

  @Test
  void answersOfManyPiecesAreDrainedByteForByte() throws Exception {
    ModelSpec spec = TestRegistry.spec(1);
    ModelId id = new ModelId("m", "7", "champion");
    InferAnswer.Template t = new InferAnswer.Template(id, spec);
    int cols = 307;
    int rows = 256; // 314 KB of attributions: many pieces, values split across piece boundaries
    ScoreBatch all = batch(new Random(5), rows, false, cols);
    for (boolean raw : new boolean[] {false, true}) {
      for (int[] range : new int[][] {{0, rows}, {3, 250}}) {
        DecodedRequest req = new DecodedRequest(new FeatureBatch(new float[range[1] * cols], range[1], cols),
            spec.outputs(), raw, List.of(), List.of(), null, null);
        ModelInferResponse expected = InferResponses.infer("r", id, spec, req, all.slice(range[0], range[1]));
        InferAnswer a = InferAnswer.encode(t, ByteString.copyFromUtf8("r"), spec.outputs(), raw, all, range[0],
            range[1]);
        assertThat(a.size()).isGreaterThan(10 * InferAnswer.CHUNK);
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        try (var s = InferAnswer.MARSHALLER.stream(a)) {
          ((io.grpc.Drainable) s).drainTo(streamed);
        }
        assertThat(streamed.toByteArray()).as("raw=%s rows %d+%d", raw, range[0], range[1])
            .isEqualTo(expected.toByteArray());
        assertThat(a.bytes()).isEqualTo(expected.toByteArray());
      }
    }
  }

  private static ScoreBatch batch(Random r, int rows, boolean head) {
    return batch(r, rows, head, COLS);
  }

  private static ScoreBatch batch(Random r, int rows, boolean head, int cols) {
    float[] s = new float[rows];
    float[] u = new float[rows];
    float[] a = new float[rows * cols];
    float[] p = head ? new float[rows] : null;
    for (int i = 0; i < rows; i++) {
      s[i] = (float) r.nextGaussian() * 3;
      u[i] = r.nextFloat();
      if (p != null) {
        p[i] = r.nextFloat();
      }
    }
    for (int i = 0; i < a.length; i++) {
      a[i] = i % 5 == 0 ? 0f : r.nextFloat();
    }
    s[0] = -0.0f;
    return new ScoreBatch(s, u, a, cols, p);
  }
}
