package io.vigil.cli.loop;

import io.vigil.cli.ConfigOption;
import io.vigil.cli.UserException;
import io.vigil.cli.VigilConfig;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.RegistryClient;
import java.time.Clock;
import io.vigil.schemas.FeatureVector;
import io.vigil.schemas.LabelEvent;
import io.vigil.schemas.LabelRequest;
import io.vigil.schemas.Prediction;
import io.vigil.schemas.SampleIds;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vigil trace SAMPLE_ID}: one window's way through the loop — its features, the predictions
 * made for it (by which model versions), the label requests, the labels and who gave them, and the
 * model versions that learned from it.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
    description = "Show the lineage of one sample: features, predictions (by model version), label"
        + " requests, labels (who, when) and the model versions that learned from it.")
public final class TraceCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin ConfigOption config;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SAMPLE_ID",
      description = "A sample id (s- and 32 hex digits).")
  String sampleId;

  @Option(names = "--model-version", paramLabel = "N",
      description = "Instead of a sample: the label snapshot and the sample ids this model version learned from.")
  String modelVersion;

  @Override
  public Integer call() {
    if (modelVersion != null) {
      return traceVersion();
    }
    if (sampleId == null) {
      throw new UserException("give a SAMPLE_ID or --model-version N");
    }
    if (!SampleIds.isValid(sampleId)) {
      throw new UserException("'" + sampleId + "' is not a sample id (s- followed by 32 lowercase hex digits)");
    }
    VigilConfig cfg = config.load();
    PrintWriter out = spec.commandLine().getOut();
    String bootstrap = cfg.kafka().embedded() ? "127.0.0.1:" + cfg.kafka().port() : cfg.kafka().bootstrapServers();
    RegistryClient client = registryClient(cfg);
    Lineage.SampleTrace t;
    try (Lineage lineage = new Lineage(bootstrap, cfg.topicNames(),
        new ModelLineage(client, cfg.loop().modelName(), true))) {
      t = lineage.sample(sampleId);
    } catch (RuntimeException e) {
      throw new UserException("cannot read the loop's topics at " + bootstrap + " (is `vigil up` running?): "
          + e.getMessage(), e);
    }
    print(out, t);
    out.flush();
    return t.isEmpty() ? 1 : 0;
  }

  private int traceVersion() {
    VigilConfig cfg = config.load();
    PrintWriter out = spec.commandLine().getOut();
    try (ModelLineage models = new ModelLineage(registryClient(cfg), cfg.loop().modelName(), true)) {
      ModelLineage.VersionLineage v = models.version(modelVersion);
      long held = v.samples().stream().filter(ModelLineage.LearnedSample::holdout).count();
      out.printf(Locale.ROOT, "model %s v%s (run %s)%n  label snapshot %s%n  learned from %d labelled samples,"
          + " judged on %d held out%n", v.model(), v.version(), v.runId(), v.labelSnapshot(),
          v.samples().size() - held, held);
      for (ModelLineage.LearnedSample s : v.samples()) {
        out.printf(Locale.ROOT, "    %s  %-7s  label event %s%s%n", s.sampleId(), s.label(), s.labelEventId(),
            s.holdout() ? "  (held out)" : "");
      }
    } catch (RuntimeException e) {
      throw new UserException("cannot read version " + modelVersion + " of " + cfg.loop().modelName()
          + " from the registry: " + e.getMessage(), e);
    }
    out.flush();
    return 0;
  }

  private static RegistryClient registryClient(VigilConfig cfg) {
    String registry = cfg.registry().embedded() ? "http://127.0.0.1:" + cfg.registry().port() : cfg.registry().url();
    String s3 = cfg.s3().embedded() ? "http://127.0.0.1:" + cfg.s3().port() : cfg.s3().endpoint();
    return new RegistryClient(ClientSettings.of(registry, s3, cfg.s3().accessKey(), cfg.s3().secretKey()),
        ModelEventPublisher.discarding(), Clock.systemUTC());
  }

  static void print(PrintWriter out, Lineage.SampleTrace t) {
    out.println("sample " + t.sampleId());
    if (t.isEmpty()) {
      out.println("  nothing found for this sample id in the loop's topics");
      return;
    }
    for (FeatureVector f : t.features()) {
      out.printf(Locale.ROOT, "  features    %s  window %s .. %s  feature set %s (%s), %d values, sequence %d%n",
          f.getEntity(), f.getWindowStart(), f.getWindowEnd(), f.getFeatureSetId(), f.getFeatureSetVersion(),
          f.getValues().size(), f.getSequence());
    }
    for (Prediction p : t.predictions()) {
      String top = p.getAttributions().entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(3)
          .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%.2f", e.getValue()))
          .collect(Collectors.joining(", "));
      out.printf(Locale.ROOT, "  prediction  %s v%s%s%s  score %.3f (threshold %.3f) %s%s  uncertainty %.2f  at %s  [%s]%n",
          p.getModelName(), p.getModelVersion(), p.getModelAlias() == null ? "" : " (" + p.getModelAlias() + ")",
          p.getShadow() ? " shadow" : "", p.getScore(), p.getThreshold(),
          (p.getAnomaly() ? "ANOMALY" : "normal") + (p.getIncidentId() == null ? "" : " (incident " + p.getIncidentId() + ")"),
          p.getProbability() == null ? "" : String.format(Locale.ROOT, "  p=%.2f", p.getProbability()),
          p.getUncertainty(), p.getPredictedAt(), top);
    }
    for (LabelRequest r : t.requests()) {
      out.printf(Locale.ROOT, "  request     %s  %s  priority %.3f%s  context %d points  created %s%n",
          r.getRequestId(), r.getReason(), r.getPriority(),
          r.getIncidentId() == null ? "" : "  incident " + r.getIncidentId(), r.getContext().size(),
          r.getCreatedAt());
    }
    for (LabelEvent l : t.labels()) {
      out.printf(Locale.ROOT, "  label       %s by %s at %s%s%s%s%n", l.getLabel(), l.getAnnotator(),
          l.getLabeledAt(), l.getIncidentId() == null ? "" : "  incident " + l.getIncidentId() + " " + l.getIncidentAction(),
          l.getRootCauseMetrics().isEmpty() ? "" : "  root cause " + l.getRootCauseMetrics(),
          l.getRetracts() == null ? "" : "  (retracts " + l.getRetracts() + ")");
    }
    if (t.learnedBy().isEmpty()) {
      out.println("  learned by  (no model version has learned from it yet)");
    }
    for (Lineage.VersionRef v : t.learnedBy()) {
      out.printf(Locale.ROOT, "  learned by  %s v%s  label snapshot %s%n", v.model(), v.version(), v.labelSnapshot());
    }
  }
}
