package io.vigil.labeling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.labeling.store.Database;
import io.vigil.labeling.store.LabelService;
import io.vigil.labeling.store.TaskQueue;
import io.vigil.labeling.store.TaskView;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskQueueTest {

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

  @Test
  void dropsASecondRequestForTheSameSampleId() {
    assertThat(queue.enqueue(Fixtures.request("s1", "host-1", 0.5))).isEqualTo(TaskQueue.Enqueued.ADDED);
    assertThat(queue.enqueue(Fixtures.request("s1", "host-1", 0.9))).isEqualTo(TaskQueue.Enqueued.DUPLICATE);
    assertThat(queue.openTasks()).isEqualTo(1);
  }

  @Test
  void givesTheHighestPriorityFirstAndTheSameTaskAgainWhileLeased() {
    queue.enqueue(Fixtures.request("low", "h", 0.1));
    queue.enqueue(Fixtures.request("high", "h", 0.9));
    assertThat(queue.next("ann").orElseThrow().sampleId()).isEqualTo("high");
    assertThat(queue.next("ann").orElseThrow().sampleId()).isEqualTo("high");
    assertThat(queue.next("bob").orElseThrow().sampleId()).isEqualTo("low");
    assertThat(queue.next("carol")).isEmpty();
  }

  @Test
  void releasesATaskWhenItsLeaseTimesOut() {
    queue.enqueue(Fixtures.request("s1", "h", 0.5));
    assertThat(queue.next("ann")).isPresent();
    assertThat(queue.next("bob")).isEmpty();
    clock.advance(60_001);
    assertThat(queue.next("bob").orElseThrow().sampleId()).isEqualTo("s1");
    // ann's lease is gone: her late answer is refused
    assertThatThrownBy(() -> labels.submit("ann", "s1",
        new LabelService.Submission("NORMAL", List.of(), null, "late-key-1")))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_EXPIRED));
  }

  @Test
  void neverGivesTwoAnnotatorsTheSameTaskUnderConcurrentClaims() throws Exception {
    for (int i = 0; i < 200; i++) {
      queue.enqueue(Fixtures.request("s" + i, "h" + (i % 7), i % 13));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<List<String>>> futures = new ArrayList<>();
      for (int a = 0; a < 8; a++) {
        String annotator = "ann" + a;
        Callable<List<String>> work = () -> {
          List<String> got = new ArrayList<>();
          for (int k = 0; k < 25; k++) {
            Optional<TaskView> t = queue.next(annotator);
            if (t.isEmpty()) {
              break;
            }
            got.add(t.get().sampleId());
            labels.submit(annotator, t.get().sampleId(),
                new LabelService.Submission("NORMAL", List.of(), null, annotator + "-key-" + k));
          }
          return got;
        };
        futures.add(pool.submit(work));
      }
      Set<String> seen = new HashSet<>();
      int total = 0;
      for (Future<List<String>> f : futures) {
        List<String> got = f.get();
        total += got.size();
        seen.addAll(got);
      }
      assertThat(total).isEqualTo(200);
      assertThat(seen).hasSize(200);
      assertThat(queue.openTasks()).isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sendsAnOverlappedTaskToTwoDifferentAnnotators() {
    TaskQueue overlapping = new TaskQueue(db, clock, 60_000, 1.0, 2);
    overlapping.enqueue(Fixtures.request("both", "h", 0.5));
    assertThat(overlapping.next("ann").orElseThrow().requiredLabels()).isEqualTo(2);
    assertThat(overlapping.next("bob").orElseThrow().sampleId()).isEqualTo("both");
    assertThat(overlapping.next("carol")).isEmpty();
  }

  @Test
  void letsAnAnnotatorReadOnlyTasksLeasedToThemOrLabeledByThem() {
    queue.enqueue(Fixtures.request("mine", "h", 0.9));
    queue.enqueue(Fixtures.request("yours", "h", 0.1));
    queue.next("ann");
    queue.next("bob");
    assertThat(queue.get("mine", "ann", false).sampleId()).isEqualTo("mine");
    assertThatThrownBy(() -> queue.get("yours", "ann", false))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
    assertThat(queue.get("yours", "reviewer", true).sampleId()).isEqualTo("yours");
  }
}
