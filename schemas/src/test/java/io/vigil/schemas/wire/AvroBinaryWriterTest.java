package io.vigil.schemas.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.schemas.DeadLetter;
import io.vigil.schemas.DriftReport;
import java.util.List;
import org.junit.jupiter.api.Test;

class AvroBinaryWriterTest {

  @Test
  void describesNestedRecordsUnionsAndArrays() {
    List<String> layout = AvroBinaryWriter.layout(DriftReport.getClassSchema());
    assertThat(layout).contains("windowStart:LONG", "alarmReason:UNION<NULL,STRING>",
        "features:ARRAY<FeatureDrift{feature:STRING,psi:DOUBLE,jensenShannon:DOUBLE,ks:DOUBLE,"
            + "wasserstein:DOUBLE,drifted:BOOLEAN}>");
  }

  @Test
  void refusesASchemaWhoseLayoutIsNotTheWritersOwn() {
    List<String> stale = List.of("sourceTopic:STRING");
    assertThatThrownBy(() -> new AvroBinaryWriter(DeadLetter.getClassSchema(), stale, "SomeWriter"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("DeadLetter schema changed")
        .hasMessageContaining("SomeWriter writes [sourceTopic:STRING]");
  }

  @Test
  void writesAvrosEncodingOfPrimitives() {
    List<String> layout = AvroBinaryWriter.layout(DeadLetter.getClassSchema());
    AvroBinaryWriter w = new AvroBinaryWriter(DeadLetter.getClassSchema(), layout, "test");
    w.startBody();
    w.writeLong(-1); // zig-zag: 1
    w.writeLong(64); // 128: two groups
    w.writeBoolean(true);
    w.writeString("é");
    w.writeDouble(1.0);
    assertThat(w.toByteArray()).containsExactly(0x01, 0x80, 0x01, 0x01, 0x04, 0xC3, 0xA9,
        0, 0, 0, 0, 0, 0, 0xF0, 0x3F);
    w.startMessage();
    byte[] header = w.toByteArray();
    assertThat(header).hasSize(10).startsWith(0xC3, 0x01);
  }
}
