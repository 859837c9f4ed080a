package io.vigil.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {

  @Test
  void readsSmdMachineWithNamesSyntheticTimesLabelsAndRootCauses() throws IOException {
    Path smd = TestData.dir("smd");
    Dataset ds = Dataset.open(smd, DatasetOptions.defaults().withEntities(Set.of("machine-1-2")));
    assertThat(ds.format()).isEqualTo(DatasetFormat.SMD);
    EntitySeries s = ds.entities().get(0);
    assertThat(s.metricNames()).hasSize(38).startsWith("cpu_r", "load_1");

    long trainLines = Files.readAllLines(smd.resolve("train/machine-1-2.txt")).size();
    long testLines = Files.readAllLines(smd.resolve("test/machine-1-2.txt")).size();
    assertThat(s.validate()).isEqualTo(trainLines + testLines);
    assertThat(s.labelledRows()).isEqualTo((int) testLines);

    Iterator<Row> rows = s.rows();
    Row first = rows.next();
    assertThat(first.sequence()).isZero();
    assertThat(first.time()).isEqualTo(DatasetOptions.DEFAULT_START);
    assertThat(first.values()[0]).isEqualTo(0.16);
    assertThat(first.source()).isEqualTo("train/machine-1-2.txt:1");
    assertThat(rows.next().time()).isEqualTo(DatasetOptions.DEFAULT_START.plus(Duration.ofMinutes(1)));
    assertThat(s.label(0)).isNull();

    // test rows continue the series: same times and sequences whether read alone or after train
    Row firstTest = Dataset.open(smd, DatasetOptions.defaults().withSplit(Split.TEST)
        .withEntities(Set.of("machine-1-2"))).entities().get(0).rows().next();
    assertThat(firstTest.sequence()).isEqualTo(trainLines);
    assertThat(firstTest.time()).isEqualTo(DatasetOptions.DEFAULT_START.plus(Duration.ofMinutes(trainLines)));
    assertThat(firstTest.source()).isEqualTo("test/machine-1-2.txt:1");

    assertThat(s.rootCauses()).isNotEmpty();
    RootCause rc = s.rootCauses().get(0);
    assertThat(rc.startSequence()).isEqualTo(trainLines + 4629);
    assertThat(rc.metrics()).contains(s.metricNames().get(8));
    assertThat(s.label(trainLines + 4629)).isTrue();
  }

  @Test
  void readsJumpStarterWithGeneratedNamesAndFiveMinuteSteps() {
    Dataset ds = Dataset.open(TestData.dir("jumpstarter-d2"),
        DatasetOptions.defaults().withEntities(Set.of("service0")));
    assertThat(ds.format()).isEqualTo(DatasetFormat.JUMPSTARTER);
    EntitySeries s = ds.entities().get(0);
    assertThat(s.metricNames()).hasSize(19).startsWith("m0", "m1");
    Iterator<Row> rows = s.rows();
    rows.next();
    assertThat(rows.next().time()).isEqualTo(DatasetOptions.DEFAULT_START.plus(Duration.ofMinutes(5)));
    assertThat(s.validate()).isEqualTo(5760 + 7200);
    assertThat(s.labelledRows()).isEqualTo(7200);
  }

  @Test
  void aNabCategoryDirectoryFindsTheWindowsFileTwoLevelsUp() {
    Path category = TestData.dir("nab/data/realKnownCause");
    assertThat(Dataset.nabWindowsFile(category)).isEqualTo(
        TestData.dir("nab").toAbsolutePath().normalize().resolve("labels/combined_windows.json"));
    Dataset ds = Dataset.open(category, DatasetOptions.defaults());
    assertThat(ds.entities()).isNotEmpty().allSatisfy(s -> assertThat(s.labelledRows()).isPositive());
  }

  @Test
  void readsNabWithRealTimestampsAndWindowLabels() {
    Dataset ds = Dataset.open(TestData.dir("nab/data"),
        DatasetOptions.defaults().withEntities(Set.of("ec2_cpu_utilization_24ae8d")));
    assertThat(ds.format()).isEqualTo(DatasetFormat.NAB);
    EntitySeries s = ds.entities().get(0);
    assertThat(s.metricNames()).containsExactly("value");
    Row first = s.rows().next();
    assertThat(first.time().toString()).isEqualTo("2014-02-14T14:30:00Z");
    assertThat(first.values()[0]).isEqualTo(0.132);
    assertThat(s.labelledRows()).isPositive();
    long anomalous = 0;
    Iterator<Row> it = s.rows();
    while (it.hasNext()) {
      if (Boolean.TRUE.equals(s.label(it.next().sequence()))) {
        anomalous++;
      }
    }
    assertThat(anomalous).isPositive();
  }

  @Test
  void interleavesEntitiesInEventTimeOrder() {
    Dataset ds = Dataset.open(TestData.dir("smd"), DatasetOptions.defaults()
        .withEntities(Set.of("machine-1-2", "machine-1-3")));
    Interleaved it = new Interleaved(ds.entities());
    List<String> firstFour = new ArrayList<>();
    Interleaved.EntityRow prev = null;
    int n = 0;
    while (it.hasNext() && n < 2000) {
      Interleaved.EntityRow r = it.next();
      if (n < 4) {
        firstFour.add(r.series().entity());
      }
      if (prev != null) {
        assertThat(r.row().time()).isAfterOrEqualTo(prev.row().time());
      }
      prev = r;
      n++;
    }
    assertThat(firstFour).containsExactly("machine-1-2", "machine-1-3", "machine-1-2", "machine-1-3");
  }

  @Test
  void refusesARowWithTheWrongNumberOfColumnsNamingFileAndLine(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("test"));
    Files.writeString(dir.resolve("test/host-a.txt"), "0.1,0.2,0.3\n0.1,0.2,0.3\n0.1,0.2\n");
    Dataset ds = Dataset.open(dir, DatasetOptions.defaults());
    assertThatThrownBy(ds::validate).isInstanceOf(DatasetException.class)
        .hasMessageContaining("host-a.txt:3:").hasMessageContaining("expected 3 columns, found 2");
  }

  @Test
  void refusesANonNumericValueNamingFileLineAndColumn(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("train"));
    Files.writeString(dir.resolve("train/host-a.txt"), "0.1,0.2\n0.1,oops\n");
    assertThatThrownBy(() -> Dataset.open(dir, DatasetOptions.defaults()).validate())
        .hasMessageContaining("host-a.txt:2: column 2 is not a number: 'oops'");
  }

  @Test
  void skipsNabRowsWhoseTimestampRepeatsThePreviousOne() {
    // the real file repeats 2014-03-09 03:00:00 twelve times, where daylight saving moved the clock
    Dataset ds = Dataset.open(TestData.dir("nab/data"),
        DatasetOptions.defaults().withEntities(Set.of("ec2_disk_write_bytes_1ef3de")));
    EntitySeries s = ds.entities().get(0);
    Iterator<Row> it = s.rows();
    Row prev = null;
    long rows = 0;
    long at3 = 0;
    while (it.hasNext()) {
      Row r = it.next();
      if (prev != null) {
        assertThat(r.time()).isAfter(prev.time());
        assertThat(r.sequence()).isEqualTo(prev.sequence() + 1);
      }
      if (r.time().toString().equals("2014-03-09T03:00:00Z")) {
        at3++;
      }
      prev = r;
      rows++;
    }
    assertThat(at3).isEqualTo(1);
    assertThat(rows).isEqualTo(4730 - 11);
  }

  @Test
  void refusesNabFileWithoutHeader(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("cpu.csv"), "2014-01-01 00:00:00,1\n");
    assertThatThrownBy(() -> Dataset.open(dir, DatasetOptions.defaults()))
        .hasMessageContaining("cpu.csv:1: expected a header");
  }

  @Test
  void refusesADirectoryWithNoDataset(@TempDir Path dir) {
    assertThatThrownBy(() -> Dataset.open(dir, DatasetOptions.defaults()))
        .hasMessageContaining("no dataset here");
  }

  @Test
  void refusesUnknownEntity() {
    assertThatThrownBy(() -> Dataset.open(TestData.dir("smd"),
        DatasetOptions.defaults().withEntities(Set.of("machine-9-9"))))
        .hasMessageContaining("machine-9-9");
  }
}
