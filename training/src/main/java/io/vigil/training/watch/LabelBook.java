package io.vigil.training.watch;

import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The labels as the watcher knows them, built from {@code LabelEvent}s: de-duplicated on {@code
 * eventId}, {@code retracts} honoured (the retracted event no longer counts, even if it arrives
 * later), and per sample the latest usable answer (ANOMALY or NORMAL, by {@code labeledAt}) wins;
 * UNSURE and SKIP are not usable. Not thread-safe: the watcher guards it.
 */
final class LabelBook {

  /** One usable label: the sample, the answer, the event that gave it and when. */
  record Label(String sampleId, boolean anomaly, String eventId, long labeledAt) {}

  private final Set<String> seen = new HashSet<>();
  private final Set<String> retracted = new HashSet<>();
  private final Map<String, List<Label>> bySample = new HashMap<>();
  private long duplicates;
  private long retractions;
  private long added;

  /**
   * Applies one event; returns +1 when it added a usable label, -1 when it retracted one, 0
   * otherwise (a duplicate, an unusable answer, a retraction of something unknown).
   */
  int apply(LabelEvent e) {
    String id = e.getEventId();
    if (!seen.add(id)) {
      duplicates++;
      return 0;
    }
    if (e.getRetracts() != null) {
      retractions++;
      String target = e.getRetracts();
      retracted.add(target);
      List<Label> l = bySample.get(e.getSampleId());
      if (l != null && l.removeIf(x -> x.eventId().equals(target))) {
        added--;
        return -1;
      }
      return 0;
    }
    if (retracted.contains(id)) {
      return 0;
    }
    LabelValue v = e.getLabel();
    if (v != LabelValue.ANOMALY && v != LabelValue.NORMAL) {
      return 0;
    }
    bySample.computeIfAbsent(e.getSampleId(), k -> new ArrayList<>())
        .add(new Label(e.getSampleId(), v == LabelValue.ANOMALY, id, e.getLabeledAt().toEpochMilli()));
    added++;
    return 1;
  }

  /** The current usable label of every sample that has one, by sample id. */
  Map<String, Label> current() {
    Map<String, Label> out = new TreeMap<>();
    for (Map.Entry<String, List<Label>> e : bySample.entrySet()) {
      Label best = null;
      for (Label l : e.getValue()) {
        if (best == null || l.labeledAt() > best.labeledAt()
            || (l.labeledAt() == best.labeledAt() && l.eventId().compareTo(best.eventId()) > 0)) {
          best = l;
        }
      }
      if (best != null) {
        out.put(e.getKey(), best);
      }
    }
    return out;
  }

  long duplicates() {
    return duplicates;
  }

  long retractions() {
    return retractions;
  }

  long added() {
    return added;
  }

  /**
   * The label snapshot id of a set of labels: {@code labels-} and 16 hex digits of SHA-256 over
   * their sorted event ids.
   */
  static String snapshotId(List<Label> labels) {
    List<String> ids = new ArrayList<>();
    for (Label l : labels) {
      ids.add(l.eventId());
    }
    ids.sort(null);
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String id : ids) {
        d.update(id.getBytes(StandardCharsets.UTF_8));
        d.update((byte) '\n');
      }
      return "labels-" + HexFormat.of().formatHex(d.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
