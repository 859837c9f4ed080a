package io.vigil.training.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryCurveTest {

  @TempDir Path dir;

  @Test
  void writesAPngChartOfBothStrategies() throws Exception {
    QueryCurve curve = new QueryCurve(List.of(
        new QueryCurve.Point("random", 0, 0, 0.5), new QueryCurve.Point("uncertainty", 0, 0, 0.5),
        new QueryCurve.Point("random", 50, 49, 0.55), new QueryCurve.Point("uncertainty", 50, 40, 0.62),
        new QueryCurve.Point("random", 100, 98, 0.58), new QueryCurve.Point("uncertainty", 100, 80, 0.7)));
    Path png = dir.resolve("charts/f1.png");
    curve.writePng(png, "F1 vs queries", 640, 400);

    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(640);
    assertThat(img.getHeight()).isEqualTo(400);
    // the two series are drawn in their colours
    boolean red = false;
    boolean blue = false;
    for (int x = 0; x < img.getWidth(); x++) {
      for (int y = 0; y < img.getHeight(); y++) {
        int rgb = img.getRGB(x, y) & 0xFFFFFF;
        red |= rgb == 0xD62728;
        blue |= rgb == 0x1F77B4;
      }
    }
    assertThat(red).as("uncertainty drawn").isTrue();
    assertThat(blue).as("random drawn").isTrue();
    assertThat(curve.toList()).hasSize(6).first().extracting(m -> m.get("strategy")).isEqualTo("random");
  }
}
