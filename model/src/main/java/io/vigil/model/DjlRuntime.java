package io.vigil.model;

/**
 * Process-wide DJL settings that must be in place before the engine first loads: no download at
 * run time, and one intra-op and one inter-op thread per call (on a small CPU machine, several
 * times faster than PyTorch's default of one thread per core for each of many concurrent calls).
 * Values already set (e.g. with {@code -D}) win.
 */
public final class DjlRuntime {

  /** The engine every Vigil model is trained and served with. */
  public static final String ENGINE = "PyTorch";

  private DjlRuntime() {}

  public static void applyCpuDefaults() {
    setIfAbsent("ai.djl.offline", "true");
    setIfAbsent("ai.djl.pytorch.num_threads", "1");
    setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
