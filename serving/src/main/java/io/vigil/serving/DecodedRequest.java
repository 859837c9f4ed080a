package io.vigil.serving;

import static java.util.Objects.requireNonNull;

import io.vigil.model.FeatureBatch;
import java.util.List;

/**
 * A validated inference request: its rows, the outputs to return, whether to answer in raw bytes,
 * and what identifies each row in the prediction log.
 *
 * @param sampleIds one per row, or empty when the caller gave none
 * @param entities one per row, or empty
 * @param windowStartMillis window start shared by the rows, or null
 * @param windowEndMillis window end shared by the rows, or null
 */
public record DecodedRequest(FeatureBatch batch, List<String> outputs, boolean raw,
    List<String> sampleIds, List<String> entities, Long windowStartMillis, Long windowEndMillis) {

  public DecodedRequest {
    requireNonNull(batch, "batch");
    outputs = List.copyOf(outputs);
    sampleIds = List.copyOf(sampleIds);
    entities = List.copyOf(entities);
  }

  public int rows() {
    return batch.rows();
  }
}
