package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.LabelFilter;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.StoredLabel;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.schemas.Incidents;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelReason;
import io.vigil.schemas.wire.AvroSerde;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelServiceTest {

  @TempDir Path dir;
  Database db;
  Fixtures.ManualClock clock;
  TaskQueue queue;
  LabelService labels;

  @BeforeEach
  void open() {
    db = Fixtures.database(dir);
    clock = new Fixtures.ManualClock(Fixtures.T0);
    queue = new TaskQueue(db, clock, 60_000, 0, 2);
    labels = new LabelService(db, clock, "vigil.labels", 60_000);
  }

  @AfterEach
  void close() {
    db.close();
  }

  private static LabelService.Submission label(String value, String key) {
    return new LabelService.Submission(value, List.of("cpu"), "looks odd", key);
  }

  /**
   * Queues a request for {@code sampleId} on {@code entity} (a follow-up of {@code followUpOf} when
   * that is not null), leases it to {@code annotator} (the queue holds nothing else) and answers it.
   */
  private StoredLabel answer(String annotator, String sampleId, String entity, String followUpOf, String value,
      String key) {
    queue.enqueue(followUpOf == null ? Fixtures.request(sampleId, entity, 0.9)
        : Fixtures.request(sampleId, entity, 1.0, LabelReason.INCIDENT_FOLLOW_UP, followUpOf, Map.of()));
    assertThat(queue.next(annotator).orElseThrow().sampleId()).isEqualTo(sampleId);
    return labels.submit(annotator, sampleId, label(value, key)).label();
  }

  @Test
  void storesARetriedSubmissionOnceAndAnswersWithTheSameEvent() {
    queue.enqueue(Fixtures.request("s1", "h", 0.5));
    queue.next("ann");
    LabelService.Result first = labels.submit("ann", "s1", label("NORMAL", "key-000001"));
    LabelService.Result again = labels.submit("ann", "s1", label("NORMAL", "key-000001"));
    assertThat(first.replayed()).isFalse();
    assertThat(again.replayed()).isTrue();
    assertThat(again.label().eventId()).isEqualTo(first.label().eventId());
    assertThat(labels.list(LabelFilter.all())).hasSize(1);
    assertThat(outbox()).hasSize(1);
  }

  @Test
  void refusesALabelOnATaskThatIsNotLeasedToTheAnnotator() {
    queue.enqueue(Fixtures.request("s1", "h", 0.5));
    queue.next("ann");
    assertThatThrownBy(() -> labels.submit("mallory", "s1", label("NORMAL", "key-000002")))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(outbox()).isEmpty();
  }

  @Test
  void undoPublishesARetractionOfThePreviousEventAndGivesTheTaskBack() {
    queue.enqueue(Fixtures.request("s1", "h", 0.5));
    queue.next("ann");
    StoredLabel first = labels.submit("ann", "s1", label("NORMAL", "key-000003")).label();
    assertThat(queue.next("ann")).isEmpty();
    StoredLabel undo = labels.undoLast("ann", "undo-000001").label();
    assertThat(undo.kind()).isEqualTo("RETRACT");
    assertThat(undo.retracts()).isEqualTo(first.eventId());
    assertThat(queue.next("ann").orElseThrow().sampleId()).isEqualTo("s1");
    List<LabelEvent> events = outbox();
    assertThat(events).hasSize(2);
    assertThat(events.get(1).getRetracts()).isEqualTo(first.eventId());
    assertThat(labels.get(first.eventId(), "ann", false).retracted()).isTrue();
  }

  @Test
  void anAnomalyOpensAnIncidentThatAFollowUpAnsweredNormalCloses() {
    queue.enqueue(Fixtures.request("s1", "web-1", 0.9));
    queue.next("ann");
    StoredLabel opened = labels.submit("ann", "s1", label("ANOMALY", "key-000004")).label();
    assertThat(opened.incidentAction()).isEqualTo("OPENED");
    assertThat(labels.incidents(true)).singleElement()
        .satisfies(i -> assertThat(i.entity()).isEqualTo("web-1"));

    queue.enqueue(Fixtures.request("s2", "web-1", 1.0, LabelReason.INCIDENT_FOLLOW_UP,
        opened.incidentId(), Map.of()));
    assertThat(labels.incidents(true).get(0).followUps()).hasSize(1);
    queue.next("ann");
    StoredLabel closed = labels.submit("ann", "s2", label("NORMAL", "key-000005")).label();
    assertThat(closed.incidentAction()).isEqualTo("CLOSED");
    assertThat(closed.incidentId()).isEqualTo(opened.incidentId());
    assertThat(labels.incidents(true)).isEmpty();
  }

  @Test
  void aYesToTheFollowUpOfAnIncidentClosedMeanwhileOpensANewOne() {
    String first = answer("ann", "s1", "web-2", null, "ANOMALY", "key-000011").incidentId();
    queue.enqueue(Fixtures.request("s2", "web-2", 1.0, LabelReason.INCIDENT_FOLLOW_UP, first, Map.of()));
    queue.enqueue(Fixtures.request("s3", "web-2", 1.0, LabelReason.INCIDENT_FOLLOW_UP, first, Map.of()));
    queue.next("ann");
    assertThat(labels.submit("ann", "s2", label("NORMAL", "key-000012")).label().incidentAction())
        .isEqualTo("CLOSED");
    queue.next("ann");
    StoredLabel late = labels.submit("ann", "s3", label("ANOMALY", "key-000013")).label();
    assertThat(late.incidentAction()).isEqualTo("OPENED");
    assertThat(late.incidentId()).isNotEqualTo(first);
    assertThat(labels.incidents(true)).singleElement()
        .satisfies(i -> assertThat(i.incidentId()).isEqualTo(late.incidentId()));
    assertThat(outbox()).extracting(e -> e.getIncidentAction().name())
        .containsExactly("OPENED", "CLOSED", "OPENED");
  }

  @Test
  void undoingTheAnswersThatOpenedAndClosedAnIncidentClosesAndReopensIt() {
    String incident = answer("ann", "s1", "web-3", null, "ANOMALY", "key-000021").incidentId();
    StoredLabel undoOpen = labels.undoLast("ann", "undo-000021").label();
    assertThat(undoOpen.incidentAction()).isEqualTo("CLOSED");
    assertThat(labels.incidents(true)).isEmpty();
    // answered again: a new incident; its follow-up's "normal" closes it, and undoing that reopens it
    String second = labels.submit("ann", "s1", label("ANOMALY", "key-000022")).label().incidentId();
    assertThat(second).isNotEqualTo(incident);
    assertThat(answer("ann", "s2", "web-3", second, "NORMAL", "key-000023").incidentAction()).isEqualTo("CLOSED");
    StoredLabel undoClose = labels.undoLast("ann", "undo-000023").label();
    assertThat(undoClose.incidentAction()).isEqualTo("OPENED");
    assertThat(undoClose.incidentId()).isEqualTo(second);
    assertThat(labels.incidents(true)).singleElement()
        .satisfies(i -> assertThat(i.incidentId()).isEqualTo(second));
    // the stream reads the same: closed, opened, closed, opened
    assertThat(outbox()).extracting(e -> Incidents.effectOf(e).name())
        .containsExactly("OPEN", "CLOSE", "OPEN", "CLOSE", "OPEN");
  }

  @Test
  void undoingACloseLeavesTheIncidentClosedWhenAnotherWasOpenedOnTheEntityMeanwhile() {
    String first = answer("ann", "s1", "web-4", null, "ANOMALY", "key-000031").incidentId();
    assertThat(answer("ann", "s2", "web-4", first, "NORMAL", "key-000032").incidentAction()).isEqualTo("CLOSED");
    // someone else confirms a later window of the entity: a second incident
    String second = answer("bob", "s3", "web-4", null, "ANOMALY", "key-000033").incidentId();
    assertThat(second).isNotEqualTo(first);

    StoredLabel undo = labels.undoLast("ann", "undo-000032").label();
    assertThat(undo.kind()).isEqualTo("RETRACT");
    assertThat(undo.incidentAction()).isEqualTo("NONE");
    assertThat(labels.incidents(true)).singleElement()
        .satisfies(i -> assertThat(i.incidentId()).isEqualTo(second));
    assertThat(labels.incidents(false)).filteredOn(i -> i.incidentId().equals(first)).singleElement()
        .satisfies(i -> assertThat(i.resolution()).contains("undone").contains(second));
    // answered again "yes": it continues the open incident
    StoredLabel again = labels.submit("ann", "s2", label("ANOMALY", "key-000034")).label();
    assertThat(again.incidentAction()).isEqualTo("CONTINUED");
    assertThat(again.incidentId()).isEqualTo(second);
    // the stream reads one open incident throughout: open, close, open, (nothing), open
    assertThat(outbox()).extracting(e -> Incidents.effectOf(e).name())
        .containsExactly("OPEN", "CLOSE", "OPEN", "NONE", "OPEN");
  }

  @Test
  void aPersonClosesAnIncidentWithAResolutionNote() {
    String incident = answer("ann", "s1", "db-1", null, "ANOMALY", "key-000006").incidentId();
    StoredLabel closing = labels.closeIncident("rev", incident, "disk replaced", "close-00001");
    assertThat(closing.incidentAction()).isEqualTo("CLOSED");
    assertThat(labels.incidents(false)).singleElement().satisfies(i -> {
      assertThat(i.status()).isEqualTo("CLOSED");
      assertThat(i.resolution()).isEqualTo("disk replaced");
      assertThat(i.closedBy()).isEqualTo("rev");
    });
    assertThat(outbox()).extracting(e -> e.getIncidentAction().name()).containsExactly("OPENED", "CLOSED");
  }

  @Test
  void aReviewerResolvesAConflictOnce() {
    TaskQueue overlap = new TaskQueue(db, clock, 60_000, 1.0, 2);
    overlap.enqueue(Fixtures.request("s1", "h", 0.5));
    overlap.next("ann");
    overlap.next("bob");
    labels.submit("ann", "s1", label("ANOMALY", "key-000007"));
    labels.submit("bob", "s1", label("NORMAL", "key-000008"));
    assertThat(labels.conflicts(10)).singleElement().satisfies(c -> assertThat(c.labels()).hasSize(2));
    labels.resolve("rev", "s1", "ANOMALY", "the spike is real", "review-0001");
    assertThat(labels.conflicts(10)).isEmpty();
    assertThatThrownBy(() -> labels.resolve("rev", "s1", "NORMAL", null, "review-0002"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
  }

  private List<LabelEvent> outbox() {
    AvroSerde<LabelEvent> serde = AvroSerde.of(LabelEvent.class);
    return db.inTransaction(c -> {
      List<LabelEvent> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT payload FROM outbox ORDER BY id");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(serde.decode(rs.getBytes(1)));
        }
      }
      return out;
    });
  }
}
