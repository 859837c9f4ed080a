package io.vigil.drift;

/**
 * One subtask's part of one model version's drift window: the samples it binned into the window
 * starting at {@link #windowStart}, added up ({@link WindowAccumulator}). The window stage merges
 * the parts of every subtask (see {@link PartialWindowOperator}). Serialized by {@link
 * PartialWindowSerializer}.
 */
public final class PartialWindow {
  public String modelName;
  public String modelVersion;
  public long windowStart;
  public WindowAccumulator acc;

  public PartialWindow() {}

  PartialWindow(String modelName, String modelVersion, long windowStart) {
    this.modelName = modelName;
    this.modelVersion = modelVersion;
    this.windowStart = windowStart;
    this.acc = new WindowAccumulator();
  }

  public String modelKey() {
    return DriftInput.modelKey(modelName, modelVersion);
  }
}
