package io.vigil.training.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.schemas.FeatureVector;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive reader on a file-system archive laid out as the feature job's file sink writes it. */
class FeatureArchiveTest {

  static final Instant T0 = Instant.parse("2026-01-01T22:00:00Z");
  static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);
  static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH").withZone(ZoneOffset.UTC);

  @TempDir Path dir;

  static FeatureVector vector(String entity, Instant end) {
    return FeatureVector.newBuilder().setSampleId(entity + "@" + end.toEpochMilli()).setEntity(entity)
        .setWindowStart(end.minusSeconds(600)).setWindowEnd(end).setFeatureSetId("fs").setFeatureSetVersion("fs-1")
        .setNames(List.of("a", "b")).setValues(List.of(1.0, 2.0)).setSequence(-1).build();
  }

  /** The partition directory of a window end, as the feature job's bucket assigner names it. */
  static String partition(Instant end) {
    return "date=" + DATE.format(end) + "/hour=" + HOUR.format(end);
  }

  /** One Avro container file, as the archive's part files are. */
  static void writePart(OutputStream out, List<FeatureVector> vectors) throws IOException {
    try (DataFileWriter<FeatureVector> w = new DataFileWriter<>(new SpecificDatumWriter<>(FeatureVector.class))) {
      w.create(FeatureVector.getClassSchema(), out);
      for (FeatureVector v : vectors) {
        w.append(v);
      }
    }
  }

  /** Five hours of one vector a minute: one part file per hour, plus an in-progress part and a broken one. */
  Path archive() throws IOException {
    Path root = dir.resolve("archive");
    for (int h = 0; h < 5; h++) {
      List<FeatureVector> vs = new ArrayList<>();
      Instant hourStart = T0.plusSeconds(3600L * h);
      for (int m = 0; m < 60; m++) {
        vs.add(vector("host-1", hourStart.plusSeconds(60L * m)));
      }
      Path p = root.resolve(partition(hourStart)).resolve("part-0-" + h);
      Files.createDirectories(p.getParent());
      try (OutputStream out = Files.newOutputStream(p)) {
        writePart(out, vs);
      }
    }
    Path last = root.resolve(partition(T0.plusSeconds(3600L * 4)));
    Files.writeString(last.resolve(".part-0-9.inprogress.1234"), "not yet a file");
    Files.writeString(last.resolve("part-1-0"), "not an avro file", StandardCharsets.UTF_8);
    return root;
  }

  @Test
  void readsEveryCommittedPartAcrossDaysAndSkipsHiddenAndUnreadableOnes() throws IOException {
    List<FeatureVector> seen = new ArrayList<>();
    FeatureArchive.Stats s = FeatureArchive.open(archive().toUri().toString(), null).read(null, null, seen::add);
    assertThat(s.files()).isEqualTo(6); // five parts and the broken one; the in-progress part is not listed
    assertThat(s.unreadableFiles()).isEqualTo(1);
    assertThat(s.prunedFiles()).isZero();
    assertThat(s.vectors()).isEqualTo(300);
    assertThat(seen).hasSize(300);
    // partition order is time order, across the change of day
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).getWindowEnd()).isAfter(seen.get(i - 1).getWindowEnd());
    }
  }

  @Test
  void aTimeRangeSkipsWholePartitionsAndFiltersTheEdges() throws IOException {
    List<FeatureVector> seen = new ArrayList<>();
    Instant since = T0.plusSeconds(3600 + 1800); // 23:30 on the first day
    Instant until = T0.plusSeconds(3 * 3600); // 01:00 on the next
    FeatureArchive.Stats s = FeatureArchive.open(archive().toString(), null).read(since, until, seen::add);
    assertThat(s.files()).isEqualTo(2); // hours 23 and 00
    assertThat(s.prunedFiles()).isEqualTo(4);
    assertThat(s.vectors()).isEqualTo(90);
    assertThat(s.outsideRange()).isEqualTo(30);
    assertThat(seen).allSatisfy(v -> assertThat(v.getWindowEnd()).isBetween(since, until.minusMillis(1)));
  }

  @Test
  void partitionsAndHiddenFilesAreRecognised() {
    assertThat(FeatureArchive.finished("date=2026-01-01/hour=05/part-0-1")).isTrue();
    assertThat(FeatureArchive.finished("date=2026-01-01/hour=05/.part-0-1.inprogress.x")).isFalse();
    assertThat(FeatureArchive.finished("_temporary/part-0-1")).isFalse();
    Instant h5 = Instant.parse("2026-01-01T05:00:00Z");
    assertThat(FeatureArchive.inRange("date=2026-01-01/hour=05/p", h5, h5.plusSeconds(1))).isTrue();
    assertThat(FeatureArchive.inRange("date=2026-01-01/hour=05/p", h5.plusSeconds(3600), null)).isFalse();
    assertThat(FeatureArchive.inRange("date=2026-01-01/hour=05/p", null, h5)).isFalse();
    assertThat(FeatureArchive.inRange("date=2026-01-01/p", null, h5)).isTrue(); // a day partition
    assertThat(FeatureArchive.inRange("other/p", h5, h5)).isTrue(); // not partitioned: filtered by record
  }

  @Test
  void aMissingDirectoryIsAClearError() {
    assertThatThrownBy(() -> FeatureArchive.open(dir.resolve("nope").toString(), null).read(null, null, v -> { }))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a directory");
  }
}
