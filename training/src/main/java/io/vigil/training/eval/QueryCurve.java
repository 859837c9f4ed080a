package io.vigil.training.eval;

import static java.util.Objects.requireNonNull;

import io.vigil.selection.Strategy;
import io.vigil.training.TrainingConfig;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * F1 against annotator queries: mean {@code f1_best} over the entities for {@code uncertainty} and
 * {@code random} at a range of budgets (budget 0 = no labels, shared by both), each point a full
 * {@link Evaluation}; written as a PNG chart (JFreeChart, headless) for {@code vigil eval --plot}.
 *
 * @param points in the order measured
 */
public record QueryCurve(List<Point> points) {

  /**
   * @param strategy {@code random} or {@code uncertainty}
   * @param budget queries allowed per entity
   * @param queries mean queries actually used per entity (the x axis)
   * @param f1Best mean {@code f1_best}
   */
  public record Point(String strategy, int budget, double queries, double f1Best) {}

  public QueryCurve {
    points = List.copyOf(points);
  }

  /**
   * Runs the evaluations: budget 0 once (strategy none), every other budget for random and
   * uncertainty.
   *
   * @param known results already measured (strategy name + ":" + budget → report), reused
   */
  public static QueryCurve measure(TrainingConfig config, boolean retrain, double noise, Path data,
      Set<String> entities, List<Integer> budgets, Map<String, EvalReport> known, Consumer<String> progress) {
    requireNonNull(budgets, "budgets");
    List<Point> points = new ArrayList<>();
    for (int b : budgets) {
      if (b < 0) {
        throw new IllegalArgumentException("budgets must be >= 0, not " + b);
      }
      List<Strategy> strategies = b == 0 ? List.of(Strategy.NONE) : List.of(Strategy.RANDOM, Strategy.UNCERTAINTY);
      for (Strategy s : strategies) {
        String name = s.name().toLowerCase(Locale.ROOT);
        String key = name + ":" + b;
        EvalReport r = known.get(key);
        if (r == null) {
          r = new Evaluation(config, s, b, noise, retrain).run(data, entities, e -> { });
        }
        double q = ((Number) r.mean().get("queries")).doubleValue();
        double f1 = ((Number) r.mean().get("f1_best")).doubleValue();
        if (s == Strategy.NONE) {
          points.add(new Point("random", 0, q, f1));
          points.add(new Point("uncertainty", 0, q, f1));
        } else {
          points.add(new Point(name, b, q, f1));
        }
        progress.accept(String.format(Locale.ROOT, "curve: %s budget %d: f1_best %.3f, %.1f queries", name, b,
            f1, q));
      }
    }
    return new QueryCurve(points);
  }

  /** Writes the chart as a PNG of {@code width} x {@code height} pixels. */
  public void writePng(Path file, String title, int width, int height) {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    XYSeriesCollection data = new XYSeriesCollection();
    for (String strategy : List.of("uncertainty", "random")) {
      XYSeries s = new XYSeries(strategy, true, true);
      points.stream().filter(p -> p.strategy().equals(strategy)).forEach(p -> s.add(p.queries(), p.f1Best()));
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(title, "annotator queries per entity (mean used)",
        "f1_best (mean, no point adjustment)", data, PlotOrientation.VERTICAL, true, false, false);
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    renderer.setSeriesPaint(0, new Color(0xD6, 0x27, 0x28));
    renderer.setSeriesPaint(1, new Color(0x1F, 0x77, 0xB4));
    renderer.setSeriesStroke(0, new BasicStroke(2f));
    renderer.setSeriesStroke(1, new BasicStroke(2f));
    plot.setRenderer(renderer);
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the chart to " + file, e);
    }
  }

  /** For the JSON report: one entry per point. */
  public List<Map<String, Object>> toList() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Point p : points) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("strategy", p.strategy());
      m.put("budget", p.budget());
      m.put("queries", p.queries());
      m.put("f1_best", p.f1Best());
      out.add(m);
    }
    return out;
  }
}
