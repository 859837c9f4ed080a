package io.vigil.drift.requests;

import static java.util.Objects.requireNonNull;

import io.vigil.drift.requests.RequestInput.Kind;
import io.vigil.schemas.ContextPoint;
import io.vigil.schemas.DriftReport;
import io.vigil.schemas.FeatureDrift;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.TelemetrySample;
import io.vigil.schemas.wire.AvroSerde;
import io.vigil.selection.Decision;
import io.vigil.selection.EntityQueryState;
import io.vigil.selection.QueryKind;
import io.vigil.selection.QueryPolicy;
import io.vigil.selection.ScoreLevel;
import io.vigil.selection.Strategy;
import io.vigil.selection.UncertaintyMeasure;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-entity stage of the label-request job. Keyed by entity, it joins the entity's telemetry,
 * feature vectors and predictions by event time (a window's prediction, features and telemetry
 * sample share the window end), and when the watermark passes a window it decides, with the shared
 * {@link QueryPolicy}, whether to ask a person about it:
 *
 * <ul>
 *   <li>uncertainty, as {@code vigil eval} measures it (ADR 0007): 1 when the model score is at or
 *       above the entity's query level ({@link ScoreLevel}, keyed state: a high quantile of the
 *       entity's recent model scores; nothing during its warm-up), else 0 ({@link
 *       UncertaintyMeasure#ofLevel}); or, when configured, a probability measure of a prediction
 *       that carries a calibrated probability. Each decided window's model score then feeds the
 *       level;
 *   <li>weight = drift contribution (more when the window's top attributions are on metrics the
 *       latest {@link DriftReport} of the model found drifted; broadcast state) x diversity (less
 *       when the attributions point the same way as the last window asked about); 0 while a run of
 *       anomalous windows has already been asked about (one burst, one request);
 *   <li>a request carries the prediction, the features, the raw telemetry of the window and of
 *       {@code contextPoints} steps before it, and for a follow-up the incident id.
 * </ul>
 *
 * <p>Labels change the entity's incident state when they are read (not in event time: a label is
 * an answer given now; windows already decided are not revisited), read by {@link Incidents} as
 * the scoring stage reads them: {@code ANOMALY} (or {@code incidentAction} OPENED / CONTINUED) opens
 * an incident (the label's incident id, or a deterministic one), {@code incidentAction=CLOSED} or a
 * {@code NORMAL} that answers no request closes it, {@code UNSURE} and {@code SKIP} change nothing,
 * and a retracting label (an undo) changes it only by its {@code incidentAction}.
 *
 * <p>Request ids are derived from sample id and kind, and the random draws (audits) are seeded by
 * the sample id, so a replay of the same input asks the same questions under the same ids.
 */
public final class LabelRequestOperator
    extends KeyedBroadcastProcessFunction<String, RequestInput, RequestInput, Candidate> {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(LabelRequestOperator.class);
  private static final HexFormat HEX = HexFormat.of();

  /** Broadcast state: model name → the metrics its latest drift report found drifted. */
  public static final MapStateDescriptor<String, DriftedMetrics> DRIFT_STATE =
      new MapStateDescriptor<>("drifted-metrics", Types.STRING, TypeInformation.of(DriftedMetrics.class));

  /** Kept to build the policy in {@link #open}: {@code Budget} is not serializable, so neither is a policy holding one. */
  private final LabelRequestConfig cfg;
  private final LabelRequestConfig.Measure measure;
  private final LabelRequestConfig.QueryLevel levelSettings;
  /** Only UNCERTAINTY reads the uncertainty: under NONE and RANDOM no level is kept (no state). */
  private final boolean keepsLevel;
  private final int contextPoints;
  private final int retainedPoints;
  private final int topAttributions;
  private final double driftBoost;
  private final double diversityStrength;
  private final long seed;

  private transient QueryPolicy policy;
  private transient MapState<Long, WindowSlot> slots;
  private transient ValueState<long[]> slotTimes;
  private transient ValueState<EntityQueryState> queryState;
  private transient ValueState<RequestState> requestState;
  private transient ValueState<ScoreLevel> scoreLevel;
  private transient AvroSerde<TelemetrySample> telemetrySerde;
  private transient AvroSerde<FeatureVector> featureSerde;
  private transient AvroSerde<Prediction> predictionSerde;
  private transient AvroSerde<LabelEvent> labelSerde;
  private transient AvroSerde<DriftReport> driftSerde;
  private transient AvroSerde<LabelRequest> requestSerde;
  private transient Counter decided;
  private transient Counter withoutPrediction;
  private transient Counter latePredictions;
  private transient Counter shadowIgnored;
  private transient Counter requests;
  private transient Counter followUps;
  private transient Counter audits;
  private transient Counter incidentsOpened;
  private transient Counter incidentsClosed;
  private transient Counter labelsIgnored;

  public LabelRequestOperator(LabelRequestConfig cfg) {
    requireNonNull(cfg, "cfg");
    this.cfg = cfg;
    cfg.policy(); // validates
    this.measure = cfg.uncertaintyMeasure();
    this.levelSettings = cfg.scoreLevel();
    this.keepsLevel = cfg.strategy() == Strategy.UNCERTAINTY;
    this.contextPoints = cfg.contextPoints();
    this.retainedPoints = cfg.contextPoints() + cfg.maxWindowPoints();
    this.topAttributions = cfg.topAttributions();
    this.driftBoost = cfg.driftBoost();
    this.diversityStrength = cfg.diversityStrength();
    this.seed = cfg.seed();
  }

  @Override
  public void open(OpenContext ctx) {
    policy = cfg.policy();
    slots = getRuntimeContext().getMapState(
        new MapStateDescriptor<>("window-slots", Types.LONG, TypeInformation.of(WindowSlot.class)));
    slotTimes = getRuntimeContext().getState(
        new ValueStateDescriptor<>("slot-times", TypeInformation.of(long[].class)));
    queryState = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entity-query-state", TypeInformation.of(EntityQueryState.class)));
    requestState = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entity-request-state", TypeInformation.of(RequestState.class)));
    scoreLevel = getRuntimeContext().getState(
        new ValueStateDescriptor<>("entity-score-level", new ScoreLevelSerializer()));
    telemetrySerde = AvroSerde.of(TelemetrySample.class);
    featureSerde = AvroSerde.of(FeatureVector.class);
    predictionSerde = AvroSerde.of(Prediction.class);
    labelSerde = AvroSerde.of(LabelEvent.class);
    driftSerde = AvroSerde.of(DriftReport.class);
    requestSerde = AvroSerde.of(LabelRequest.class);
    var m = getRuntimeContext().getMetricGroup();
    decided = m.counter("windowsDecided");
    withoutPrediction = m.counter("windowsWithoutPrediction");
    latePredictions = m.counter("latePredictions");
    shadowIgnored = m.counter("shadowPredictionsIgnored");
    requests = m.counter("requestsChosen");
    followUps = m.counter("followUpsChosen");
    audits = m.counter("auditsChosen");
    incidentsOpened = m.counter("incidentsOpened");
    incidentsClosed = m.counter("incidentsClosed");
    labelsIgnored = m.counter("labelsIgnored");
  }

  // ---- inputs ----

  @Override
  public void processElement(RequestInput in, ReadOnlyContext ctx, Collector<Candidate> out) throws Exception {
    if (in.kind == Kind.LABEL) {
      applyLabel(labelSerde.decode(in.value), ctx.getCurrentKey());
      return;
    }
    long t = in.time;
    WindowSlot slot = slots.get(t);
    boolean fresh = slot == null;
    if (fresh) {
      slot = new WindowSlot();
    }
    switch (in.kind) {
      case TELEMETRY -> slot.telemetry = in.value;
      case FEATURES -> slot.features = in.value;
      case PREDICTION -> {
        Prediction p = predictionSerde.decode(in.value);
        if (p.getShadow()) {
          shadowIgnored.inc();
          return;
        }
        if (slot.decided) {
          return; // a second model's answer for a window already decided
        }
        double u = RequestScoring.uncertainty(p, measure, levelNow());
        // several models may score one window: the most uncertain answer counts (it is measured
        // again against the level when the window is decided)
        if (slot.prediction == null || u > slot.predictionUncertainty
            || (u == slot.predictionUncertainty && p.getScore() > slot.predictionScore)) {
          slot.prediction = in.value;
          slot.predictionUncertainty = u;
          slot.predictionScore = p.getScore();
          slot.predictionTraceparent = in.traceparent;
          slot.predictionTracestate = in.tracestate;
        }
      }
      default -> throw new IllegalStateException("unexpected input " + in.kind);
    }
    long watermark = ctx.timerService().currentWatermark();
    if (fresh) {
      addTime(t);
    }
    if (t > watermark) {
      ctx.timerService().registerEventTimeTimer(t);
    } else if (in.kind == Kind.PREDICTION && !slot.decided) {
      // the watermark passed this window before its prediction came: decide now
      latePredictions.inc();
      decide(t, slot, ctx.getCurrentKey(), ctx.getBroadcastState(DRIFT_STATE), out);
    }
    slots.put(t, slot);
    prune(watermark);
  }

  @Override
  public void processBroadcastElement(RequestInput in, Context ctx, Collector<Candidate> out) throws Exception {
    if (in.kind != Kind.DRIFT) {
      return;
    }
    DriftReport r = driftSerde.decode(in.value);
    BroadcastState<String, DriftedMetrics> state = ctx.getBroadcastState(DRIFT_STATE);
    DriftedMetrics old = state.get(r.getModelName());
    long end = r.getWindowEnd().toEpochMilli();
    if (old != null && old.windowEnd > end) {
      return;
    }
    TreeSet<String> metrics = new TreeSet<>();
    for (FeatureDrift f : r.getFeatures()) {
      if (f.getDrifted()) {
        metrics.add(RequestScoring.metricOf(f.getFeature()));
      }
    }
    DriftedMetrics d = new DriftedMetrics();
    d.modelVersion = r.getModelVersion();
    d.windowEnd = end;
    d.metrics = metrics.toArray(String[]::new);
    d.alarm = r.getAlarm();
    state.put(r.getModelName(), d);
  }

  @Override
  public void onTimer(long time, OnTimerContext ctx, Collector<Candidate> out) throws Exception {
    WindowSlot slot = slots.get(time);
    if (slot == null || slot.decided) {
      return;
    }
    if (slot.prediction == null) {
      if (!slot.missed) {
        slot.missed = true;
        withoutPrediction.inc();
        slots.put(time, slot);
      }
      return;
    }
    decide(time, slot, ctx.getCurrentKey(), ctx.getBroadcastState(DRIFT_STATE), out);
    slots.put(time, slot);
    prune(time);
  }

  // ---- the decision ----

  private void decide(long t, WindowSlot slot, String entity,
      ReadOnlyBroadcastState<String, DriftedMetrics> drift, Collector<Candidate> out) throws Exception {
    Prediction p = predictionSerde.decode(slot.prediction);
    EntityQueryState qs = queryState.value();
    if (qs == null) {
      qs = new EntityQueryState();
    }
    RequestState rs = requestState.value();
    if (rs == null) {
      rs = new RequestState();
    }
    boolean anomaly = Incidents.modelFlag(p); // the model's own: an incident's flags are not a new burst
    if (!anomaly) {
      rs.burstAsked = false;
    }
    Map<String, Double> attributions = p.getAttributions();
    DriftedMetrics dm = drift.get(p.getModelName());
    Set<String> drifted = dm == null ? Set.of() : Set.of(dm.metrics);
    double weight = rs.burstAsked
        ? 0
        : RequestScoring.driftWeight(attributions, drifted, topAttributions, driftBoost)
            * RequestScoring.diversity(attributions, rs.lastMetrics, rs.lastValues, diversityStrength);
    ScoreLevel level = keepsLevel ? scoreLevel.value() : null;
    if (keepsLevel && level == null) {
      level = levelSettings.create();
    }
    double u = RequestScoring.uncertainty(p, measure, level == null ? Double.POSITIVE_INFINITY : level.level());
    Decision d = policy.decide(qs, u, weight, t, new SplittableRandom(seed ^ longHash(p.getSampleId())));
    decided.inc();
    if (level != null) {
      // after the decision, as eval: the level a window is judged by comes from the windows before it;
      // the model's own score (incident state never changes it)
      level.add(p.getScore());
      scoreLevel.update(level);
    }
    if (d.ask()) {
      if (d.kind() != QueryKind.INCIDENT_FOLLOW_UP) {
        rs.lastMetrics = attributions.keySet().toArray(String[]::new);
        rs.lastValues = new double[rs.lastMetrics.length];
        for (int i = 0; i < rs.lastMetrics.length; i++) {
          rs.lastValues[i] = attributions.get(rs.lastMetrics[i]);
        }
        if (anomaly) {
          rs.burstAsked = true;
        }
      }
      String incident = null;
      if (d.kind() == QueryKind.INCIDENT_FOLLOW_UP) {
        if (qs.incidentId == null) {
          qs.incidentId = Incidents.idFor(entity, p.getSampleId());
        }
        incident = qs.incidentId;
        followUps.inc();
      } else if (d.kind() == QueryKind.AUDIT) {
        audits.inc();
      }
      requests.inc();
      out.collect(candidate(t, slot, p, d, incident));
      LOG.debug("label request {} for {} on {}: {} priority {}", requestId(p.getSampleId(), d.kind()),
          p.getSampleId(), entity, d.kind(), d.priority());
    }
    queryState.update(qs);
    requestState.update(rs);
    slot.decided = true;
    slot.features = null;
    slot.prediction = null;
    slot.predictionTraceparent = null;
    slot.predictionTracestate = null;
  }

  private Candidate candidate(long t, WindowSlot slot, Prediction p, Decision d, String incident) throws Exception {
    FeatureVector f = slot.features == null ? null : featureSerde.decode(slot.features);
    String sampleId = p.getSampleId();
    String id = requestId(sampleId, d.kind());
    LabelRequest r = LabelRequest.newBuilder()
        .setRequestId(id)
        .setSampleId(sampleId)
        .setEntity(p.getEntity())
        .setWindowStart(p.getWindowStart())
        .setWindowEnd(p.getWindowEnd())
        .setReason(LabelReason.valueOf(d.kind().name()))
        .setPriority(d.priority())
        .setFeatures(f)
        .setPrediction(p)
        .setContext(context(p.getWindowStart().toEpochMilli(), t))
        .setIncidentId(incident)
        .setCreatedAt(Instant.ofEpochMilli(t))
        .build();
    Candidate c = new Candidate();
    c.requestId = id;
    c.sampleId = sampleId;
    c.entity = p.getEntity();
    c.createdAt = t;
    c.priority = d.priority();
    c.kindRank = d.kind().ordinal();
    c.payload = requestSerde.encode(r);
    c.traceparent = slot.predictionTraceparent;
    c.tracestate = slot.predictionTracestate;
    return c;
  }

  /** The window's telemetry (inWindow) and up to {@code contextPoints} samples before it, oldest first. */
  private List<ContextPoint> context(long windowStart, long windowEnd) throws Exception {
    long[] times = times();
    List<ContextPoint> window = new ArrayList<>();
    List<ContextPoint> before = new ArrayList<>();
    for (int i = times.length - 1; i >= 0; i--) {
      long time = times[i];
      if (time > windowEnd) {
        continue;
      }
      boolean inWindow = time >= windowStart;
      if (!inWindow && before.size() >= contextPoints) {
        break;
      }
      WindowSlot s = slots.get(time);
      if (s == null || s.telemetry == null) {
        continue;
      }
      TelemetrySample sample = telemetrySerde.decode(s.telemetry);
      ContextPoint point = ContextPoint.newBuilder().setTime(Instant.ofEpochMilli(time))
          .setMetrics(new HashMap<>(sample.getMetrics())).setInWindow(inWindow).build();
      (inWindow ? window : before).add(point);
    }
    List<ContextPoint> all = new ArrayList<>(before.size() + window.size());
    for (int i = before.size() - 1; i >= 0; i--) {
      all.add(before.get(i));
    }
    for (int i = window.size() - 1; i >= 0; i--) {
      all.add(window.get(i));
    }
    return all;
  }

  /** The entity's query level now: +inf before it has one (warm-up) or when none is kept. */
  private double levelNow() throws Exception {
    ScoreLevel level = keepsLevel ? scoreLevel.value() : null;
    return level == null ? Double.POSITIVE_INFINITY : level.level();
  }

  // ---- labels ----

  private void applyLabel(LabelEvent l, String entity) throws Exception {
    Incidents.Effect effect = Incidents.effectOf(l);
    if (effect == Incidents.Effect.NONE) {
      labelsIgnored.inc(); // an undo, UNSURE or SKIP does not open or close incidents
      return;
    }
    EntityQueryState qs = queryState.value();
    if (qs == null) {
      qs = new EntityQueryState();
    }
    if (effect == Incidents.Effect.CLOSE) {
      if (qs.incidentOpen) {
        incidentsClosed.inc();
        LOG.info("incident {} on {} closed by label {}", qs.incidentId, entity, l.getEventId());
      }
      policy.closeIncident(qs);
    } else {
      if (!qs.incidentOpen) {
        incidentsOpened.inc();
      }
      policy.openIncident(qs, Incidents.idOf(l));
      LOG.info("incident {} on {} open after label {}", qs.incidentId, entity, l.getEventId());
    }
    queryState.update(qs);
  }

  // ---- retained time steps ----

  private long[] times() throws Exception {
    long[] t = slotTimes.value();
    return t == null ? new long[0] : t;
  }

  private void addTime(long t) throws Exception {
    long[] times = times();
    int at = Arrays.binarySearch(times, t);
    if (at >= 0) {
      return;
    }
    int ins = -at - 1;
    long[] next = new long[times.length + 1];
    System.arraycopy(times, 0, next, 0, ins);
    next[ins] = t;
    System.arraycopy(times, ins, next, ins + 1, times.length - ins);
    slotTimes.update(next);
  }

  /**
   * Keeps the newest {@code contextPoints + maxWindowPoints} steps the watermark has passed (the
   * history a window decided now may need) and every step it has not passed yet. Steps ahead of the
   * watermark don't count against the cap: the telemetry runs ahead of the predictions, and counting
   * it would prune the history of the windows still to be decided.
   */
  private void prune(long watermark) throws Exception {
    long[] times = times();
    int at = Arrays.binarySearch(times, watermark);
    int passed = at >= 0 ? at + 1 : -at - 1;
    int excess = passed - retainedPoints;
    if (excess <= 0) {
      return;
    }
    for (int i = 0; i < excess; i++) {
      slots.remove(times[i]);
    }
    slotTimes.update(Arrays.copyOfRange(times, excess, times.length));
  }

  // ---- ids ----

  /** Deterministic request id: the same sample asked for the same reason has the same id. */
  public static String requestId(String sampleId, QueryKind kind) {
    return "r-" + hash(sampleId + "|" + kind.name());
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HEX.formatHex(d, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  private static long longHash(String s) {
    long h = 1125899906842597L;
    for (int i = 0; i < s.length(); i++) {
      h = 31 * h + s.charAt(i);
    }
    return h;
  }
}
