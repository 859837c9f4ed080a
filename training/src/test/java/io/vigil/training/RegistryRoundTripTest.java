package io.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.vigil.embedded.junit.S3ServerExtension;
import io.vigil.model.ModelArtifact;
import io.vigil.model.ModelArtifacts;
import io.vigil.registry.client.ClientSettings;
import io.vigil.registry.client.DownloadedModel;
import io.vigil.registry.client.ModelEventPublisher;
import io.vigil.registry.client.Registration;
import io.vigil.registry.client.RegistryClient;
import io.vigil.registry.server.RegistryServer;
import io.vigil.registry.server.RegistryServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil train}'s run against the embedded registry server and a real S3 server: logged,
 * registered, aliased, downloaded and loaded back with identical scores.
 */
class RegistryRoundTripTest {

  @RegisterExtension static final S3ServerExtension S3 = new S3ServerExtension();
  @TempDir static Path dir;

  static RegistryServer server;
  static RegistryClient client;

  @BeforeAll
  static void start() {
    RegistryServerConfig d = RegistryServerConfig.defaults();
    server = RegistryServer.start(d.withPort(0)
        .withStore(new RegistryServerConfig.Store(
            "jdbc:h2:file:" + dir.resolve("registry").toAbsolutePath() + ";LOCK_TIMEOUT=10000", "sa", "", 8))
        .withArtifacts(new RegistryServerConfig.Artifacts("s3://vigil-models/mlflow", S3.s3().endpoint(),
            S3.s3().accessKey(), S3.s3().secretKey(), "us-east-1", true)));
    client = new RegistryClient(ClientSettings.of(server.url(), S3.s3().endpoint(), S3.s3().accessKey(),
        S3.s3().secretKey()), ModelEventPublisher.discarding(), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
  }

  @Test
  void trainedModelSurvivesSaveRegisterDownloadAndLoadWithIdenticalScores() throws Exception {
    Path data = TestData.smdSlice(dir.resolve("smd"), "machine-1-2", 1200, 600);
    TrainingConfig config = TrainingConfig.defaults()
        .withModel(new ColdStartConfig(List.of(16, 4, 16), 3, 64, 1e-3, 11, 0.2, 0.99, 10, 1.0, 0.0));
    List<Double> seen = new ArrayList<>();
    TrainingRun.Result result = new TrainingRun(config, client)
        .run(data, Set.of(), dir.resolve("out"), "champion", (e, n, loss) -> seen.add(loss));

    assertThat(seen).hasSize(3).isEqualTo(result.epochLosses());
    assertThat(result.version()).isNotNull();
    assertThat(result.metrics()).containsKeys("test_f1_best", "test_pr_auc", "test_f1_event");
    assertThat(result.modelDir().resolve(ReferenceProfile.FILE)).exists();
    ReferenceProfile profile = ReferenceProfile.read(result.modelDir().resolve(ReferenceProfile.FILE));
    assertThat(profile.features()).hasSize(307);
    assertThat(profile.score().counts().stream().mapToLong(Long::longValue).sum()).isEqualTo(240);
    assertThat(profile.dataSnapshot()).isEqualTo(result.dataSnapshot());

    // the run's per-epoch losses are metrics with steps
    var history = client.mlflow().getMetricHistory(result.runId(), "train_loss");
    assertThat(history).extracting(m -> m.getStep()).containsExactly(1L, 2L, 3L);
    assertThat(client.mlflow().getRun(result.runId()).getData().getParamsList())
        .anyMatch(p -> p.getKey().equals("feature_set_version") && p.getValue().equals(result.featureSetVersion()));

    DownloadedModel downloaded = client.downloadByAlias(config.registry().modelName(), "champion",
        dir.resolve("download"));
    assertThat(downloaded.version().version()).isEqualTo(result.version().version());
    assertThat(downloaded.version().tags()).containsEntry(Registration.SNAPSHOT_TAG, result.dataSnapshot())
        .containsEntry(Registration.FEATURE_SET_TAG, result.featureSetVersion());
    Path loadedDir = downloaded.directory();
    assertThat(Files.exists(loadedDir.resolve(ModelArtifacts.SPEC_FILE))).isTrue();
    assertThat(loadedDir.resolve(ReferenceProfile.FILE)).exists();

    FeatureMatrix rows = FeatureMatrix.of(FeatureSetsTestAccess.smd(), TestData.seriesOf(data, "machine-1-2"), 1200, 1800);
    try (ModelArtifact original = ModelArtifacts.load(result.modelDir());
        ModelArtifact fetched = ModelArtifacts.load(loadedDir);
        Scorer a = new Scorer(original); Scorer b = new Scorer(fetched)) {
      assertThat(fetched.spec()).isEqualTo(original.spec());
      assertThat(b.scores(rows)).containsExactly(a.scores(rows));
    }
  }
}
