package io.vigil.training;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.training.head.HeadConfig;
import io.vigil.training.watch.WatchConfig;
import java.util.Set;

/**
 * Configuration of training and evaluation: defaults ({@link #defaults()}), then a YAML file, then
 * {@code VIGIL_TRAINING__*} environment variables (e.g. {@code VIGIL_TRAINING__MODEL__EPOCHS=20},
 * {@code VIGIL_TRAINING__REGISTRY__TRACKING_URI=http://mlflow:5000}); see {@link #loader()}.
 *
 * @param model the cold-start model and its training ({@link ColdStartConfig})
 * @param registry where runs are logged and versions registered
 * @param profile the reference profile written beside the model
 * @param head the supervised head fitted when labels exist ({@link HeadConfig})
 * @param watch {@code vigil train --watch}: triggers, data, promotion ({@link WatchConfig})
 */
public record TrainingConfig(ColdStartConfig model, Registry registry, Profile profile, HeadConfig head,
    WatchConfig watch) {

  public static final String ENV_PREFIX = "VIGIL_TRAINING__";

  public TrainingConfig {
    requireNonNull(model, "model must be set");
    requireNonNull(registry, "registry must be set");
    requireNonNull(profile, "profile must be set");
    requireNonNull(head, "head must be set");
    requireNonNull(watch, "watch must be set");
  }

  /** Without head and watch settings (their defaults). */
  public TrainingConfig(ColdStartConfig model, Registry registry, Profile profile) {
    this(model, registry, profile, HeadConfig.defaults(), WatchConfig.defaults());
  }

  /**
   * @param trackingUri MLflow-compatible registry URL
   * @param s3Endpoint S3 endpoint of the artifact store
   * @param experiment experiment the runs are logged under
   * @param modelName registered model name
   * @param actor recorded as who registered and moved aliases
   */
  public record Registry(String trackingUri, String s3Endpoint, String s3AccessKey, String s3SecretKey,
      String s3Region, String experiment, String modelName, String actor) {
    public Registry {
      requireNonNull(trackingUri, "registry.trackingUri must be set");
      requireNonNull(s3Endpoint, "registry.s3Endpoint must be set");
      requireNonNull(s3AccessKey, "registry.s3AccessKey must be set");
      requireNonNull(s3SecretKey, "registry.s3SecretKey must be set");
      requireNonNull(s3Region, "registry.s3Region must be set");
      requireNonNull(experiment, "registry.experiment must be set");
      requireNonNull(modelName, "registry.modelName must be set");
      requireNonNull(actor, "registry.actor must be set");
    }
  }

  /** @param bins histogram bins per feature (and for the score) */
  public record Profile(int bins) {
    public Profile {
      if (bins < 2 || bins > 1000) {
        throw new IllegalArgumentException("profile.bins must be in 2..1000, not " + bins);
      }
    }
  }

  public static TrainingConfig defaults() {
    return new TrainingConfig(ColdStartConfig.defaults(),
        new Registry("http://127.0.0.1:5000", "http://127.0.0.1:9000", "vigil", "vigil-secret-key",
            "us-east-1", "vigil-training", "anomaly-detector", "vigil-train"),
        new Profile(20), HeadConfig.defaults(), WatchConfig.defaults());
  }

  public static ConfigLoader<TrainingConfig> loader() {
    return new ConfigLoader<>(TrainingConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  public TrainingConfig withModel(ColdStartConfig m) {
    return new TrainingConfig(m, registry, profile, head, watch);
  }

  public TrainingConfig withRegistry(Registry r) {
    return new TrainingConfig(model, r, profile, head, watch);
  }

  public TrainingConfig withHead(HeadConfig h) {
    return new TrainingConfig(model, registry, profile, h, watch);
  }

  public TrainingConfig withWatch(WatchConfig w) {
    return new TrainingConfig(model, registry, profile, head, w);
  }
}
