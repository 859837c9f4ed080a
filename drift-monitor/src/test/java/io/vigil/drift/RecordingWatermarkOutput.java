package io.vigil.drift;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/** Records what a watermark generator says: its watermarks in order, and its idle marks. */
public final class RecordingWatermarkOutput implements WatermarkOutput {
  public final List<Long> watermarks = new ArrayList<>();
  public int idleMarks;
  /** The last thing said: a watermark's value, "idle" or "active". */
  public String lastSaid;

  @Override
  public void emitWatermark(Watermark w) {
    watermarks.add(w.getTimestamp());
    lastSaid = Long.toString(w.getTimestamp());
  }

  @Override
  public void markIdle() {
    idleMarks++;
    lastSaid = "idle";
  }

  @Override
  public void markActive() {
    lastSaid = "active";
  }

  /** The last watermark, or null before the first. */
  public Long last() {
    return watermarks.isEmpty() ? null : watermarks.get(watermarks.size() - 1);
  }
}
