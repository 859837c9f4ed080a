package io.vigil.drift.stats;

/**
 * An alarm with hysteresis: raised after {@code raiseAfter} consecutive drifted windows, cleared
 * after {@code clearAfter} consecutive clean ones; in between it keeps its state. A Flink POJO
 * (public fields, no-argument constructor), kept in keyed state.
 */
public final class HysteresisAlarm {

  /** What one window did to the alarm. */
  public enum Transition { NONE, RAISED, CLEARED }

  public boolean raised;
  public int driftedRun;
  public int cleanRun;

  public HysteresisAlarm() {}

  public Transition update(boolean drifted, int raiseAfter, int clearAfter) {
    if (drifted) {
      driftedRun++;
      cleanRun = 0;
      if (!raised && driftedRun >= raiseAfter) {
        raised = true;
        return Transition.RAISED;
      }
    } else {
      cleanRun++;
      driftedRun = 0;
      if (raised && cleanRun >= clearAfter) {
        raised = false;
        return Transition.CLEARED;
      }
    }
    return Transition.NONE;
  }
}
