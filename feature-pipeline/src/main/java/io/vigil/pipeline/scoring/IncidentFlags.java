package io.vigil.pipeline.scoring;

import io.vigil.schemas.Incidents;
import io.vigil.schemas.Prediction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flags the windows of an open incident (DESIGN §5), keyed by entity: a person's "yes, anomaly"
 * opens an incident on the entity, and until it is closed ("it is over" to a follow-up), every
 * prediction of that entity leaves with {@code anomaly = true} and the incident's id, whatever the
 * model scored (score, probability and uncertainty stay the model's). The labels are read as the
 * label-request stage reads them ({@link Incidents}), so both agree on which incident is open.
 *
 * <p>Labels take effect when they are read, as the answers they are: windows already scored are not
 * revisited. The open incident is Flink keyed state, so it survives restarts with the labels
 * source's offsets; a fresh job reads the labels topic from its start and rebuilds it. Shadow
 * predictions (a challenger's) are left as they are.
 */
final class IncidentFlags extends KeyedCoProcessFunction<String, ScoredPrediction, LabelSignal, ScoredPrediction> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(IncidentFlags.class);

  private transient ValueState<String> open;
  private transient Counter flagged;
  private transient Counter opened;
  private transient Counter closed;

  @Override
  public void open(OpenContext ctx) {
    open = getRuntimeContext().getState(new ValueStateDescriptor<>("open-incident", Types.STRING));
    var g = getRuntimeContext().getMetricGroup().addGroup("scoring");
    flagged = g.counter("incidentFlagged");
    opened = g.counter("incidentsOpened");
    closed = g.counter("incidentsClosed");
  }

  @Override
  public void processElement1(ScoredPrediction s, Context ctx, Collector<ScoredPrediction> out) throws Exception {
    Prediction p = s.prediction;
    String incident = open.value();
    if (incident != null && !p.getShadow()) {
      p.setAnomaly(true);
      p.setIncidentId(incident);
      flagged.inc();
    }
    out.collect(s);
  }

  @Override
  public void processElement2(LabelSignal l, Context ctx, Collector<ScoredPrediction> out) throws Exception {
    String incident = open.value();
    switch (l.effect) {
      case OPEN -> {
        if (incident == null) {
          open.update(l.incidentId);
          opened.inc();
          LOG.info("incident {} on {} open after label {}: its windows are flagged", l.incidentId, l.entity,
              l.eventId);
        }
      }
      case CLOSE -> {
        if (incident != null) {
          open.clear();
          closed.inc();
          LOG.info("incident {} on {} closed by label {}", incident, l.entity, l.eventId);
        }
      }
      case NONE -> { }
    }
  }
}
