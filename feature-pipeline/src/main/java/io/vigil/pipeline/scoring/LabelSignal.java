package io.vigil.pipeline.scoring;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.Incidents;

/**
 * A record of the labels topic as the incident flags need it: the entity and what the label does
 * to its incident ({@link Incidents#effectOf}), or, for a record that cannot be read, the dead
 * letter that says why. A Flink POJO (public fields, no-arg constructor).
 */
public class LabelSignal {

  public String entity;
  public Incidents.Effect effect;
  /** The incident an {@code OPEN} names. */
  public String incidentId;
  public String eventId;
  /** Set when the record was refused. */
  public DeadLetter refused;

  public LabelSignal() {}

  static LabelSignal of(String entity, Incidents.Effect effect, String incidentId, String eventId) {
    LabelSignal s = new LabelSignal();
    s.entity = entity;
    s.effect = effect;
    s.incidentId = incidentId;
    s.eventId = eventId;
    return s;
  }

  static LabelSignal refused(DeadLetter d) {
    LabelSignal s = new LabelSignal();
    s.refused = d;
    return s;
  }
}
