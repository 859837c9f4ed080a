package io.vigil.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.vigil.drift.DriftJobConfig;
import io.vigil.drift.requests.LabelRequestConfig;
import io.vigil.helm.Chart.Manifests;
import io.vigil.helm.Chart.Y;
import io.vigil.labeling.LabelingConfig;
import io.vigil.pipeline.FeatureJobConfig;
import io.vigil.pipeline.scoring.ScoringJobConfig;
import io.vigil.registry.server.RegistryServerConfig;
import io.vigil.serving.ServingConfig;
import io.vigil.training.TrainingConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart rendered and linted by real Helm (helm-java, in-process). The rendered config files are loaded with each
 * deployable's own config record (unknown keys and invalid values fail there as they would at start-up), so "the
 * probe points at the port the service listens on" is checked against what the service would really read.
 */
class VigilChartTest {

  static final Chart CHART = Chart.located();

  // ---- lint ------------------------------------------------------------------------------------------------------

  @Test
  void lintsStrictWithDefaultValuesPlusTheRequiredMinimum(@TempDir Path tmp) {
    LintResult r = CHART.lint(CHART.valuesFile("ci/default-values.yaml"), tmp);
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  @Test
  void lintsStrictWithProductionValues(@TempDir Path tmp) {
    LintResult r = CHART.lint(CHART.valuesFile("values-production.yaml"), tmp);
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  @Test
  void lintsStrictAsItIsBecauseHelmLintToleratesRequiredValues(@TempDir Path tmp) {
    // helm lint renders in lint mode, where `required` only warns; `helm template`/`install` refuse (test below)
    LintResult r = CHART.lint(null, tmp);
    assertThat(r.isFailed()).as(String.join("\n", r.getMessages())).isFalse();
  }

  // ---- required values -------------------------------------------------------------------------------------------

  @Test
  void everyMissingRequiredValueFailsWithAMessageNamingIt() {
    assertThatThrownBy(() -> CHART.template(List.of(), Map.of()))
        .hasMessageContaining("is required");
    Map<String, String> required = new LinkedHashMap<>();
    required.put("kafka.bootstrapServers", "kafka.bootstrapServers is required");
    required.put("s3.endpoint", "s3.endpoint is required");
    required.put("s3.accessKey", "s3 credentials are required");
    required.put("s3.secretKey", "s3 credentials are required");
    required.put("registry.store.jdbcUrl", "registry.store.jdbcUrl is required");
    required.put("labeling.db.url", "labeling.db.url is required");
    for (Map.Entry<String, String> e : required.entrySet()) {
      assertThatThrownBy(() -> CHART.renderDefaults(Map.of(e.getKey(), "")))
          .as(e.getKey())
          .hasMessageContaining(e.getValue());
    }
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("flink.mode", "submit")))
        .hasMessageContaining("flink.submit.jobManagerUrl is required with flink.mode=submit");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("registry.enabled", false)))
        .hasMessageContaining("registry.externalUrl is required when registry.enabled=false");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("serving.auth.enabled", true)))
        .hasMessageContaining("serving.auth.tokens (or serving.auth.existingSecret) is required");
  }

  @Test
  void anExistingS3SecretReplacesTheCredentialValues() {
    Manifests m = CHART.renderDefaults(Map.of("s3.accessKey", "", "s3.secretKey", "", "s3.existingSecret", "my-s3",
        "s3.accessKeyKey", "AWS_ACCESS_KEY_ID"));
    assertThat(m.find("Secret", "vigil-s3")).isEmpty();
    Map<String, Object> env = envOf(container(m.get("Deployment", "vigil-serving")));
    assertThat(Y.str(env.get("VIGIL_SERVING__REGISTRY__S3_ACCESS_KEY"), "valueFrom.secretKeyRef.name")).isEqualTo("my-s3");
    assertThat(Y.str(env.get("VIGIL_SERVING__REGISTRY__S3_ACCESS_KEY"), "valueFrom.secretKeyRef.key"))
        .isEqualTo("AWS_ACCESS_KEY_ID");
  }

  // ---- what is deployed ------------------------------------------------------------------------------------------

  @Test
  void rendersEveryDeployable() {
    Manifests m = CHART.renderDefaults(Map.of());
    assertThat(m.ofKind("Deployment")).extracting(d -> Y.str(d, "metadata.name"))
        .containsExactlyInAnyOrder("vigil-registry", "vigil-serving", "vigil-labeling", "vigil-retrain-watcher");
    assertThat(m.ofKind("FlinkDeployment")).extracting(d -> Y.str(d, "metadata.name"))
        .containsExactlyInAnyOrder("vigil-feature-pipeline", "vigil-scoring", "vigil-drift-monitor", "vigil-label-requests");
    assertThat(m.ofKind("Service")).extracting(d -> Y.str(d, "metadata.name"))
        .containsExactlyInAnyOrder("vigil-registry", "vigil-serving", "vigil-labeling");
    assertThat(m.ofKind("PodDisruptionBudget")).extracting(d -> Y.str(d, "metadata.name"))
        .containsExactlyInAnyOrder("vigil-registry", "vigil-serving");
    assertThat(m.ofKind("Job")).isEmpty();
    assertThat(m.ofKind("ServiceMonitor")).isEmpty();
    assertThat(m.ofKind("NetworkPolicy")).isEmpty();
    assertThat(m.ofKind("HorizontalPodAutoscaler")).isEmpty();
    // the commands each Deployment runs
    assertThat(args(m, "vigil-registry")).containsExactly("registry", "serve", "--config", "/etc/vigil/registry.yaml");
    assertThat(args(m, "vigil-serving")).containsExactly("serve", "--config", "/etc/vigil/serving.yaml");
    assertThat(args(m, "vigil-labeling")).containsExactly("labeling", "serve", "--config", "/etc/vigil/labeling.yaml");
    assertThat(args(m, "vigil-retrain-watcher")).containsExactly("train", "--watch", "--config", "/etc/vigil/training.yaml");
    // single-writer parts: one replica, no overlap during an update
    for (String single : List.of("vigil-labeling", "vigil-retrain-watcher")) {
      Map<String, Object> d = m.get("Deployment", single);
      assertThat(Y.at(d, "spec.replicas")).as(single).isEqualTo(1);
      assertThat(Y.str(d, "spec.strategy.type")).as(single).isEqualTo("Recreate");
    }
  }

  @Test
  void archiveRunsAreAForbidConcurrencyCronJobOnTheWatchersConfigAndTheFeatureArchive() {
    assertThat(CHART.renderDefaults(Map.of()).ofKind("CronJob")).isEmpty();
    Manifests m = CHART.renderDefaults(Map.of("retrainWatcher.archiveRuns.enabled", true));
    Map<String, Object> cron = m.get("CronJob", "vigil-archive-training");
    assertThat(Y.str(cron, "spec.schedule")).isEqualTo("0 3 * * 0");
    assertThat(Y.str(cron, "spec.concurrencyPolicy")).isEqualTo("Forbid");
    Map<String, Object> job = Y.map(cron, "spec.jobTemplate");
    Map<String, Object> c = container(job);
    assertThat(Y.list(c, "command")).containsExactly("java", "-jar", "/opt/vigil/vigil-cli.jar");
    assertThat(Y.list(c, "args")).containsExactly("train", "--archive", "s3://vigil-features/archive", "--labels",
        "topic", "--config", "/etc/vigil/training.yaml", "--since", "P30D");
    assertThat(Y.str(job, "spec.template.spec.volumes.0.configMap.name")).isEqualTo("vigil-retrain-watcher");
    assertThat(envOf(c)).containsKeys("VIGIL_TRAINING__REGISTRY__S3_ACCESS_KEY", "VIGIL_TRAINING__REGISTRY__S3_SECRET_KEY");
    assertThat(Y.at(c, "securityContext.readOnlyRootFilesystem")).isEqualTo(true);

    // labels from the label store: a reviewer account, its password from a Secret, never from a value
    Map<String, Object> store = container(Y.map(CHART.renderDefaults(Map.of("retrainWatcher.archiveRuns.enabled", true,
        "retrainWatcher.archiveRuns.labels", "store", "retrainWatcher.archiveRuns.labelingUser", "reviewer",
        "retrainWatcher.archiveRuns.labelingPasswordSecret", "labeling-reviewer")).get("CronJob",
        "vigil-archive-training"), "spec.jobTemplate"));
    assertThat(Y.list(store, "args")).containsSubsequence("--labels", "store", "--labeling-url",
        "http://vigil-labeling:8088", "--labeling-user", "reviewer");
    assertThat(envOf(store)).containsKey("VIGIL_LABELING_PASSWORD");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("retrainWatcher.archiveRuns.enabled", true,
        "retrainWatcher.archiveRuns.labels", "store"))).hasMessageContaining("labelingUser");
    // the production values run it weekly on 90 days (and lint it strictly, see above)
    assertThat(Y.list(container(Y.map(CHART.renderProduction(Map.of()).get("CronJob", "vigil-archive-training"),
        "spec.jobTemplate")), "args")).containsSubsequence("--since", "P90D");
  }

  @Test
  void probesPointAtTheRealEndpointsOnThePortsTheServicesListenOn() throws IOException {
    Manifests m = CHART.renderDefaults(Map.of());
    Map<String, String> env = fakeSecretEnv();

    RegistryServerConfig registry = RegistryServerConfig.loader().load(configFile(m, "vigil-registry", "registry.yaml"), env);
    Map<String, Object> reg = container(m.get("Deployment", "vigil-registry"));
    assertThat(registry.host()).isEqualTo("0.0.0.0");
    assertThat(containerPort(reg, "http")).isEqualTo(registry.port());
    assertHttpProbe(reg, "livenessProbe", "/health", registry.port());
    assertHttpProbe(reg, "readinessProbe", "/ready", registry.port());
    assertHttpProbe(reg, "startupProbe", "/health", registry.port());

    ServingConfig serving = ServingConfig.loader().load(configFile(m, "vigil-serving", "serving.yaml"), env);
    Map<String, Object> srv = container(m.get("Deployment", "vigil-serving"));
    assertThat(serving.grpc().host()).isEqualTo("0.0.0.0");
    assertThat(serving.metrics().host()).isEqualTo("0.0.0.0");
    assertThat(serving.metrics().enabled()).isTrue();
    assertThat(containerPort(srv, "grpc")).isEqualTo(serving.grpc().port());
    assertThat(containerPort(srv, "http-metrics")).isEqualTo(serving.metrics().port());
    assertHttpProbe(srv, "livenessProbe", "/health/live", serving.metrics().port());
    assertHttpProbe(srv, "readinessProbe", "/health/ready", serving.metrics().port());

    LabelingConfig labeling = LabelingConfig.loader().load(configFile(m, "vigil-labeling", "labeling.yaml"), env);
    Map<String, Object> lab = container(m.get("Deployment", "vigil-labeling"));
    assertThat(labeling.server().host()).isEqualTo("0.0.0.0");
    assertThat(containerPort(lab, "http")).isEqualTo(labeling.server().port());
    assertHttpProbe(lab, "livenessProbe", "/health/live", labeling.server().port());
    assertHttpProbe(lab, "readinessProbe", "/health/ready", labeling.server().port());

    // Services route to those ports, and the scrape annotations name them
    assertServiceTargets(m, "vigil-registry", Map.of("http", registry.port()));
    assertServiceTargets(m, "vigil-serving", Map.of("grpc", serving.grpc().port(), "http-metrics", serving.metrics().port()));
    assertServiceTargets(m, "vigil-labeling", Map.of("http", labeling.server().port()));
    assertThat(podAnnotations(m, "vigil-serving")).containsEntry("prometheus.io/port", String.valueOf(serving.metrics().port()))
        .containsEntry("prometheus.io/path", "/metrics");
    assertThat(podAnnotations(m, "vigil-registry")).containsEntry("prometheus.io/port", String.valueOf(registry.port()));
    assertThat(podAnnotations(m, "vigil-labeling")).containsEntry("prometheus.io/port", String.valueOf(labeling.server().port()));

    // the other parts reach them where they listen
    String registryUrl = "http://vigil-registry:" + registry.port();
    assertThat(serving.registry().trackingUri()).isEqualTo(registryUrl);
    assertThat(labeling.registry().baseUrl()).isEqualTo(registryUrl);
    TrainingConfig training = TrainingConfig.loader().load(configFile(m, "vigil-retrain-watcher", "training.yaml"), env);
    assertThat(training.registry().trackingUri()).isEqualTo(registryUrl);
    ScoringJobConfig scoring = ScoringJobConfig.loader().load(jobConfig(m, "scoring"), env);
    assertThat(scoring.serving().target()).isEqualTo("vigil-serving:" + serving.grpc().port());
    DriftJobConfig drift = DriftJobConfig.loader().load(jobConfig(m, "drift-monitor"), env);
    assertThat(drift.registry().trackingUri()).isEqualTo(registryUrl);
  }

  @Test
  void renderedConfigFilesLoadWithEachServicesOwnConfigRecord() throws IOException {
    for (Manifests m : List.of(CHART.renderDefaults(Map.of()), CHART.renderProduction(Map.of()))) {
      Map<String, String> env = fakeSecretEnv();
      RegistryServerConfig registry = RegistryServerConfig.loader().load(configFile(m, "vigil-registry", "registry.yaml"), env);
      assertThat(registry.store().jdbcUrl()).startsWith("jdbc:postgresql://");
      assertThat(registry.artifacts().endpoint()).isNotBlank(); // no embedded S3 server in a pod
      assertThat(registry.artifacts().root()).isEqualTo("s3://vigil-models/mlflow");
      ServingConfig serving = ServingConfig.loader().load(configFile(m, "vigil-serving", "serving.yaml"), env);
      assertThat(serving.model().workDir()).isEqualTo("/var/lib/vigil/serving");
      LabelingConfig labeling = LabelingConfig.loader().load(configFile(m, "vigil-labeling", "labeling.yaml"), env);
      assertThat(labeling.db().url()).startsWith("jdbc:postgresql://");
      TrainingConfig training = TrainingConfig.loader().load(configFile(m, "vigil-retrain-watcher", "training.yaml"), env);
      assertThat(training.watch().workDir()).isEqualTo("/var/lib/vigil/retrain");
      FeatureJobConfig features = FeatureJobConfig.loader().load(jobConfig(m, "feature-pipeline"), env);
      assertThat(features.checkpointDir()).startsWith("s3://vigil-checkpoints/");
      assertThat(features.archiveDir()).isEqualTo("s3://vigil-features/archive");
      ScoringJobConfig scoring = ScoringJobConfig.loader().load(jobConfig(m, "scoring"), env);
      assertThat(scoring.labelsTopic()).as("the incident flags follow the chart's labels topic").isEqualTo("vigil.labels");
      DriftJobConfig.loader().load(jobConfig(m, "drift-monitor"), env);
      LabelRequestConfig.loader().load(jobConfig(m, "label-requests"), env);
    }
    Manifests renamed = CHART.renderDefaults(Map.of("kafka.topics.labels", "team-a.labels"));
    assertThat(ScoringJobConfig.loader().load(jobConfig(renamed, "scoring"), fakeSecretEnv()).labelsTopic())
        .isEqualTo("team-a.labels");
  }

  @Test
  void everyDeploymentIsHardenedAndStopsGracefully() {
    for (Manifests m : List.of(CHART.renderDefaults(Map.of()), CHART.renderProduction(Map.of()))) {
      for (Map<String, Object> d : m.ofKind("Deployment")) {
        String name = Y.str(d, "metadata.name");
        Map<String, Object> c = container(d);
        assertThat(Y.at(d, "spec.template.spec.securityContext.runAsNonRoot")).as(name).isEqualTo(true);
        assertThat(Y.at(c, "securityContext.runAsNonRoot")).as(name).isEqualTo(true);
        assertThat(Y.at(c, "securityContext.readOnlyRootFilesystem")).as(name).isEqualTo(true);
        assertThat(Y.at(c, "securityContext.allowPrivilegeEscalation")).as(name).isEqualTo(false);
        assertThat(Y.list(c, "securityContext.capabilities.drop")).as(name).contains("ALL");
        assertThat(Y.map(c, "resources.requests")).as(name).containsKeys("cpu", "memory");
        assertThat(Y.map(c, "resources.limits")).as(name).containsKey("memory");
        assertThat((Integer) Y.at(d, "spec.template.spec.terminationGracePeriodSeconds")).as(name).isGreaterThanOrEqualTo(30);
        assertThat(Y.str(d, "spec.template.metadata.annotations.checksum/config")).as(name).isNotBlank();
        // writable places are volumes: /tmp at least
        assertThat(Y.list(c, "volumeMounts")).as(name).anySatisfy(v -> assertThat(Y.str(v, "mountPath")).isEqualTo("/tmp"));
        if (!name.equals("vigil-retrain-watcher")) { // the watcher serves no endpoint to drain
          assertThat(Y.list(c, "lifecycle.preStop.exec.command")).as(name).first().isEqualTo("sleep");
          assertThat(Y.map(c, "livenessProbe")).as(name).isNotNull();
          assertThat(Y.map(c, "readinessProbe")).as(name).isNotNull();
        }
      }
    }
  }

  // ---- secrets ---------------------------------------------------------------------------------------------------

  @Test
  void secretsAreNeverRenderedIntoConfigMapsOnlyIntoSecretsAndReferencedFromThem() {
    Map<String, Object> sets = new LinkedHashMap<>();
    sets.put("s3.accessKey", "AKIA-UNIQUE-ACCESS-4711");
    sets.put("s3.secretKey", "s3-unique-secret-4711");
    sets.put("registry.store.password", "registry-db-unique-4711");
    sets.put("labeling.db.password", "labeling-db-unique-4711");
    sets.put("labeling.security.sessionSecret", "session-secret-unique-4711-0123456789abcdef");
    sets.put("labeling.security.adminPassword", "admin-password-unique-4711");
    sets.put("serving.auth.enabled", true);
    sets.put("serving.auth.tokens", "token-unique-4711,token-two-4711");
    Manifests m = CHART.renderDefaults(sets);
    List<String> secretValues = List.of("AKIA-UNIQUE-ACCESS-4711", "s3-unique-secret-4711", "registry-db-unique-4711",
        "labeling-db-unique-4711", "session-secret-unique-4711", "admin-password-unique-4711", "token-unique-4711",
        "token-two-4711");

    // nowhere but in Secrets
    for (Map<String, Object> doc : m.all) {
      if ("Secret".equals(doc.get("kind"))) {
        continue;
      }
      String text = doc.toString();
      for (String s : secretValues) {
        assertThat(text).as(doc.get("kind") + "/" + Y.str(doc, "metadata.name")).doesNotContain(s);
      }
    }
    String secrets = m.ofKind("Secret").stream().map(VigilChartTest::decodedSecret).toList().toString();
    assertThat(secrets).contains(secretValues);
    // the generated-from-values labeling secrets pass the service's own refusal rules
    Map<String, String> labelingSecret = decodedSecret(m.get("Secret", "vigil-labeling"));
    assertThat(labelingSecret).containsEntry("sessionSecret", "session-secret-unique-4711-0123456789abcdef");

    // the processes get them as variables from those Secrets
    assertThat(secretRef(m, "vigil-registry", "VIGIL_REGISTRY__STORE__PASSWORD")).isEqualTo("vigil-registry-db/password");
    assertThat(secretRef(m, "vigil-registry", "VIGIL_REGISTRY__ARTIFACTS__SECRET_KEY")).isEqualTo("vigil-s3/secretKey");
    assertThat(secretRef(m, "vigil-labeling", "VIGIL_LABELING__SECURITY__SESSION_SECRET")).isEqualTo("vigil-labeling/sessionSecret");
    assertThat(secretRef(m, "vigil-labeling", "VIGIL_LABELING__SECURITY__ADMIN_PASSWORD")).isEqualTo("vigil-labeling/adminPassword");
    assertThat(secretRef(m, "vigil-labeling", "VIGIL_LABELING__DB__PASSWORD")).isEqualTo("vigil-labeling-db/password");
    assertThat(secretRef(m, "vigil-serving", "VIGIL_SERVING__SECURITY__AUTH_TOKENS")).isEqualTo("vigil-serving-auth/tokens");
    assertThat(secretRef(m, "vigil-serving", "VIGIL_SERVING__REGISTRY__S3_SECRET_KEY")).isEqualTo("vigil-s3/secretKey");
    assertThat(secretRef(m, "vigil-retrain-watcher", "VIGIL_TRAINING__REGISTRY__S3_SECRET_KEY")).isEqualTo("vigil-s3/secretKey");
    Map<String, Object> scoringEnv = envOf(flinkContainer(m.get("FlinkDeployment", "vigil-scoring")));
    assertThat(Y.str(scoringEnv.get("VIGIL_SCORING__SERVING__AUTH_TOKEN"), "valueFrom.secretKeyRef.key")).isEqualTo("clientToken");
    assertThat(decodedSecret(m.get("Secret", "vigil-serving-auth"))).containsEntry("clientToken", "token-unique-4711");
    Map<String, Object> driftEnv = envOf(flinkContainer(m.get("FlinkDeployment", "vigil-drift-monitor")));
    assertThat(driftEnv).containsKeys("VIGIL_DRIFT__REGISTRY__ACCESS_KEY", "VIGIL_DRIFT__REGISTRY__SECRET_KEY",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    // no container carries a secret as a literal value
    for (Map<String, Object> d : m.ofKind("Deployment")) {
      for (Object e : Y.list(container(d), "env")) {
        if (Y.at(e, "value") != null) {
          assertThat(Y.str(e, "name")).doesNotContainIgnoringCase("secret").doesNotContainIgnoringCase("password")
              .doesNotContain("TOKEN").doesNotContain("ACCESS_KEY");
        }
      }
    }
  }

  @Test
  void aSecretPutIntoAConfigPassthroughIsRefusedInsteadOfLandingInAConfigMap() {
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("labeling.config.security.sessionSecret", "x".repeat(40))))
        .hasMessageContaining("labeling.config.security.sessionSecret is a secret and would land in a ConfigMap");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("registry.config.store.password", "pw")))
        .hasMessageContaining("registry.config.store.password is a secret");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("serving.config.security.authTokens", "t")))
        .hasMessageContaining("serving.config.security.authTokens is a secret");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("flink.jobs.driftMonitor.config.registry.secretKey", "k")))
        .hasMessageContaining("flink.jobs.driftMonitor.config.registry.secretKey is a secret");
  }

  @Test
  void weakLabelingSecretsAreRefusedAtTemplateTime() {
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("labeling.security.sessionSecret", "too-short")))
        .hasMessageContaining("labeling.security.sessionSecret must be a random value of at least 32 characters");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("labeling.security.adminPassword", "changeme")))
        .hasMessageContaining("labeling.security.adminPassword must be at least 8 characters and not a known default");
  }

  @Test
  void generatedLabelingSecretsSatisfyTheServiceAndAreKeptOnUpgrade() throws IOException {
    FakeKubeApi api = FakeKubeApi.start();
    api.clearSecrets();
    // install: nothing to look up, fresh random values the service accepts
    Manifests first = CHART.renderDefaults(Map.of());
    Map<String, String> generated = decodedSecret(first.get("Secret", "vigil-labeling"));
    Map<String, String> env = new HashMap<>(fakeSecretEnv());
    env.put("VIGIL_LABELING__SECURITY__SESSION_SECRET", generated.get("sessionSecret"));
    env.put("VIGIL_LABELING__SECURITY__ADMIN_PASSWORD", generated.get("adminPassword"));
    LabelingConfig cfg = LabelingConfig.loader().load(configFile(first, "vigil-labeling", "labeling.yaml"), env);
    cfg.security().requireSafe(); // what LabelingServer does at start
    assertThat(Y.map(first.get("Secret", "vigil-labeling"), "metadata.annotations")).containsEntry("helm.sh/resource-policy", "keep");

    // upgrade: lookup finds the release's Secret, the values stay
    api.putSecret(Chart.NAMESPACE, "vigil-labeling", generated);
    try {
      Map<String, String> again = decodedSecret(CHART.renderDefaults(Map.of()).get("Secret", "vigil-labeling"));
      assertThat(again).isEqualTo(generated);
      assertThat(api.requests).contains("GET /api/v1/namespaces/" + Chart.NAMESPACE + "/secrets/vigil-labeling");
    } finally {
      api.clearSecrets();
    }
    // an existing Secret named by the user: the chart renders none and references it
    Manifests own = CHART.renderDefaults(Map.of("labeling.security.existingSecret", "my-labeling"));
    assertThat(own.find("Secret", "vigil-labeling")).isEmpty();
    assertThat(secretRef(own, "vigil-labeling", "VIGIL_LABELING__SECURITY__SESSION_SECRET")).isEqualTo("my-labeling/sessionSecret");
  }

  // ---- Flink jobs ------------------------------------------------------------------------------------------------

  @Test
  void flinkDeploymentsRunTheRightEntryClassesFromTheRightJarsWithSavepointUpgrades() throws IOException {
    Manifests m = CHART.renderDefaults(Map.of());
    Map<String, String[]> submitTable = submitCommandTable();
    Map<String, String> env = fakeSecretEnv();
    for (String job : List.of("feature-pipeline", "scoring", "drift-monitor", "label-requests")) {
      Map<String, Object> fd = m.get("FlinkDeployment", "vigil-" + job);
      String entryClass = Y.str(fd, "spec.job.entryClass");
      String jarUri = Y.str(fd, "spec.job.jarURI");
      String[] cli = submitTable.get(job);
      assertThat(cli).as("vigil submit knows " + job).isNotNull();
      // the same entry class as `vigil submit`, from the same module's job jar
      assertThat(entryClass).as(job).isEqualTo(cli[1]);
      String module = cli[0].substring(0, cli[0].indexOf('/'));
      assertThat(jarUri).as(job).startsWith("local:///opt/flink/usrlib/").endsWith("vigil-" + module + "-job.jar");
      // and the class is really in that module
      String resource = entryClass.replace('.', '/') + ".class";
      assertThat(getClass().getClassLoader().getResource(resource)).as(entryClass).isNotNull();
      assertThat(getClass().getClassLoader().getResource(resource).toString()).as(entryClass)
          .containsPattern("vigil-" + module + "|/" + module + "/target/classes");

      assertThat(Y.str(fd, "apiVersion")).isEqualTo("flink.apache.org/v1beta1");
      assertThat(Y.str(fd, "spec.job.upgradeMode")).isEqualTo("savepoint");
      assertThat(Y.str(fd, "spec.job.state")).isEqualTo("running");
      assertThat(Y.list(fd, "spec.job.args")).containsExactly("--config", "/opt/vigil/jobs/conf/" + job + ".yaml");
      // the config file is mounted where the args point
      Map<String, Object> c = flinkContainer(fd);
      assertThat(Y.list(c, "volumeMounts")).anySatisfy(v -> {
        assertThat(Y.str(v, "mountPath")).isEqualTo("/opt/vigil/jobs/conf");
        assertThat(Y.str(v, "name")).isEqualTo("vigil-job-config");
      });
      assertThat(Y.list(fd, "spec.podTemplate.spec.volumes")).anySatisfy(v ->
          assertThat(Y.str(v, "configMap.name")).isEqualTo("vigil-flink-jobs"));
      // checkpoints on S3, in the same place for Flink and for the job's own setting; savepoints beside them
      Map<String, Object> flinkConf = Y.map(fd, "spec.flinkConfiguration");
      String checkpoints = "s3://vigil-checkpoints/flink/checkpoints/" + job;
      assertThat(flinkConf).containsEntry("execution.checkpointing.dir", checkpoints)
          .containsEntry("execution.checkpointing.savepoint-dir", "s3://vigil-checkpoints/flink/savepoints/" + job)
          .containsEntry("s3.endpoint", "http://minio.storage.svc:9000");
      Path file = jobConfig(m, job);
      String jobCheckpointDir = switch (job) {
        case "feature-pipeline" -> FeatureJobConfig.loader().load(file, env).checkpointDir();
        case "scoring" -> ScoringJobConfig.loader().load(file, env).checkpointDir();
        case "drift-monitor" -> DriftJobConfig.loader().load(file, env).checkpointDir();
        default -> LabelRequestConfig.loader().load(file, env).checkpointDir();
      };
      assertThat(jobCheckpointDir).isEqualTo(checkpoints);
      assertThat(Y.at(fd, "spec.job.parallelism")).isNotNull();
    }
  }

  @Test
  void submitModeRunsVigilSubmitAgainstTheExistingClusterInsteadOfFlinkDeployments() {
    // as plain Jobs: helm-java's template, like `helm install`, keeps hooks out of the manifest it returns
    Manifests m = CHART.renderDefaults(Map.of("flink.mode", "submit",
        "flink.submit.jobManagerUrl", "http://flink-jobmanager.flink:8081", "flink.submit.hook", false));
    assertThat(m.ofKind("FlinkDeployment")).isEmpty();
    assertThat(m.ofKind("Job")).hasSize(4);
    Map<String, String[]> submitTable = submitCommandTable();
    for (Map<String, Object> j : m.ofKind("Job")) {
      List<Object> args = Y.list(container(j), "args");
      String job = (String) args.get(1);
      assertThat(args.subList(0, 6)).containsExactly("submit", job, "--jobmanager", "http://flink-jobmanager.flink:8081",
          "--job-config", "/opt/vigil/jobs/conf/" + job + ".yaml");
      String module = submitTable.get(job)[0].substring(0, submitTable.get(job)[0].indexOf('/'));
      assertThat(args.subList(6, 8)).containsExactly("--jar", "/opt/vigil/jobs/vigil-" + module + "-job.jar");
      assertThat(Y.map(j, "metadata.annotations")).isNull(); // no hook annotations
      assertThat(Y.at(j, "spec.template.spec.restartPolicy")).isEqualTo("Never");
      assertThat(Y.list(container(j), "command")).containsExactly("java", "-jar", "/opt/vigil/vigil-cli.jar");
    }
    assertThat(m.find("ConfigMap", "vigil-flink-jobs")).isPresent();
    assertThat(CHART.renderDefaults(Map.of("flink.mode", "none")).ofKind("Job")).isEmpty();
  }

  // ---- production example and options ----------------------------------------------------------------------------

  @Test
  void productionValuesTurnOnAutoscalingMonitoringPoliciesTlsAndExistingSecrets() throws IOException {
    Manifests m = CHART.renderProduction(Map.of());
    assertThat(m.get("HorizontalPodAutoscaler", "vigil-serving")).isNotNull();
    assertThat(Y.at(m.get("Deployment", "vigil-serving"), "spec.replicas")).isNull(); // the HPA owns it
    assertThat(m.ofKind("ServiceMonitor")).extracting(s -> Y.str(s, "metadata.name"))
        .containsExactlyInAnyOrder("vigil-registry", "vigil-serving", "vigil-labeling");
    assertThat(m.ofKind("PodMonitor")).extracting(s -> Y.str(s, "metadata.name")).containsExactly("vigil-flink-jobs");
    assertThat(m.ofKind("NetworkPolicy")).hasSize(3);
    assertThat(m.ofKind("Ingress")).hasSize(1);
    assertThat(m.ofKind("Secret")).isEmpty(); // every secret is an existing one
    assertThat(secretRef(m, "vigil-labeling", "VIGIL_LABELING__SECURITY__SESSION_SECRET")).isEqualTo("vigil-labeling/sessionSecret");
    assertThat(secretRef(m, "vigil-registry", "VIGIL_REGISTRY__STORE__PASSWORD")).isEqualTo("vigil-registry-db/password");
    // serving over TLS: the scoring job trusts the mounted CA, probes stay on the plaintext HTTP port
    ServingConfig serving = ServingConfig.loader().load(configFile(m, "vigil-serving", "serving.yaml"), fakeSecretEnv());
    assertThat(serving.security().tls()).isTrue();
    assertHttpProbe(container(m.get("Deployment", "vigil-serving")), "readinessProbe", "/health/ready", serving.metrics().port());
    ScoringJobConfig scoring = ScoringJobConfig.loader().load(jobConfig(m, "scoring"), fakeSecretEnv());
    assertThat(scoring.serving().tls()).isTrue();
    assertThat(scoring.serving().tlsTrustCertFile()).isEqualTo("/opt/vigil/tls/ca.crt");
    assertThat(Y.map(m.get("FlinkDeployment", "vigil-scoring"), "spec.flinkConfiguration"))
        .containsEntry("high-availability.type", "kubernetes");
    for (Map<String, Object> pdb : m.ofKind("PodDisruptionBudget")) {
      assertThat(Y.at(pdb, "spec.maxUnavailable")).isEqualTo(1);
    }
  }

  @Test
  void grpcReadinessAndRegistryAuthChangeTheProbesConsistently() {
    Manifests grpc = CHART.renderDefaults(Map.of("serving.probeType", "grpc"));
    Map<String, Object> srv = container(grpc.get("Deployment", "vigil-serving"));
    assertThat(Y.at(srv, "readinessProbe.grpc.port")).isEqualTo(containerPort(srv, "grpc"));
    assertThat(Y.str(srv, "readinessProbe.grpc.service")).isEmpty();
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("serving.probeType", "grpc", "serving.tls.enabled", true,
        "serving.tls.secretName", "tls"))).hasMessageContaining("serving.probeType=grpc cannot check a TLS-only gRPC port");

    // BASIC auth covers /health and /ready too: TCP probes, users from a Secret by prefix
    Manifests auth = CHART.renderDefaults(Map.of("registry.auth.mode", "BASIC", "registry.auth.usersSecret", "registry-users"));
    Map<String, Object> reg = container(auth.get("Deployment", "vigil-registry"));
    assertThat(Y.str(reg, "readinessProbe.tcpSocket.port")).isEqualTo("http");
    assertThat(Y.str(reg, "livenessProbe.tcpSocket.port")).isEqualTo("http");
    assertThat(Y.str(reg, "envFrom.0.prefix")).isEqualTo("VIGIL_REGISTRY__AUTH__USERS__");
    assertThat(Y.str(reg, "envFrom.0.secretRef.name")).isEqualTo("registry-users");
    // refused by values.schema.json before any template runs
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("registry.auth.mode", "BEARER")))
        .hasMessageContaining("registry.auth.mode").hasMessageContaining("NONE");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("flink.mode", "session")))
        .hasMessageContaining("flink.mode").hasMessageContaining("operator");
    assertThatThrownBy(() -> CHART.renderDefaults(Map.of("registry.store.jdbcUrl", "jdbc:h2:file:/tmp/registry")))
        .hasMessageContaining("registry.store.jdbcUrl");
  }

  @Test
  void anExternalRegistryReplacesTheChartsOwn() throws IOException {
    Manifests m = CHART.renderDefaults(Map.of("registry.enabled", false, "registry.externalUrl", "http://mlflow.ml:5000"));
    assertThat(m.find("Deployment", "vigil-registry")).isEmpty();
    ServingConfig serving = ServingConfig.loader().load(configFile(m, "vigil-serving", "serving.yaml"), fakeSecretEnv());
    assertThat(serving.registry().trackingUri()).isEqualTo("http://mlflow.ml:5000");
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  /** Values for every secret variable the chart sets, as Kubernetes would inject them. */
  static Map<String, String> fakeSecretEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("VIGIL_REGISTRY__ARTIFACTS__ACCESS_KEY", "ak");
    env.put("VIGIL_REGISTRY__ARTIFACTS__SECRET_KEY", "sk");
    env.put("VIGIL_REGISTRY__STORE__PASSWORD", "pw");
    env.put("VIGIL_SERVING__REGISTRY__S3_ACCESS_KEY", "ak");
    env.put("VIGIL_SERVING__REGISTRY__S3_SECRET_KEY", "sk");
    env.put("VIGIL_LABELING__DB__PASSWORD", "pw");
    env.put("VIGIL_LABELING__SECURITY__SESSION_SECRET", "s".repeat(40));
    env.put("VIGIL_LABELING__SECURITY__ADMIN_PASSWORD", "an-admin-password");
    env.put("VIGIL_TRAINING__REGISTRY__S3_ACCESS_KEY", "ak");
    env.put("VIGIL_TRAINING__REGISTRY__S3_SECRET_KEY", "sk");
    env.put("VIGIL_DRIFT__REGISTRY__ACCESS_KEY", "ak");
    env.put("VIGIL_DRIFT__REGISTRY__SECRET_KEY", "sk");
    return env;
  }

  private static final Path WORK = tempDir();

  private static Path tempDir() {
    try {
      // under target/ (surefire runs in the module directory), so `clean` removes it
      Path base = Files.createDirectories(Path.of("target", "chart-test"));
      return Files.createTempDirectory(base, "configs");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The file a Deployment's ConfigMap renders, written out as the pod would see it. */
  static Path configFile(Manifests m, String configMap, String key) throws IOException {
    Map<String, Object> cm = m.get("ConfigMap", configMap);
    String content = (String) Y.map(cm, "data").get(key);
    assertThat(content).as(configMap + "/" + key).isNotNull();
    Path file = Files.createTempFile(WORK, configMap, ".yaml");
    Files.writeString(file, content);
    return file;
  }

  static Path jobConfig(Manifests m, String job) throws IOException {
    return configFile(m, "vigil-flink-jobs", job + ".yaml");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> container(Map<String, Object> workload) {
    List<Object> containers = Y.list(workload, "spec.template.spec.containers");
    assertThat(containers).as(Y.str(workload, "metadata.name")).hasSize(1);
    return (Map<String, Object>) containers.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> flinkContainer(Map<String, Object> fd) {
    return (Map<String, Object>) Y.list(fd, "spec.podTemplate.spec.containers").stream()
        .filter(c -> "flink-main-container".equals(Y.str(c, "name"))).findFirst().orElseThrow();
  }

  static List<Object> args(Manifests m, String deployment) {
    Map<String, Object> c = container(m.get("Deployment", deployment));
    assertThat(Y.list(c, "command")).containsExactly("java", "-jar", "/opt/vigil/vigil-cli.jar");
    return Y.list(c, "args");
  }

  static Map<String, Object> envOf(Map<String, Object> container) {
    Map<String, Object> env = new LinkedHashMap<>();
    for (Object e : Y.list(container, "env")) {
      env.put(Y.str(e, "name"), e);
    }
    return env;
  }

  static String secretRef(Manifests m, String deployment, String variable) {
    Object e = envOf(container(m.get("Deployment", deployment))).get(variable);
    assertThat(e).as(deployment + " " + variable).isNotNull();
    assertThat(Y.at(e, "value")).as(variable + " must not be a literal").isNull();
    return Y.str(e, "valueFrom.secretKeyRef.name") + "/" + Y.str(e, "valueFrom.secretKeyRef.key");
  }

  static int containerPort(Map<String, Object> container, String name) {
    return Y.list(container, "ports").stream().filter(p -> name.equals(Y.str(p, "name")))
        .map(p -> (Integer) Y.at(p, "containerPort")).findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + name));
  }

  /** An HTTP probe on {@code path} whose port (by name or number) resolves to {@code port}. */
  static void assertHttpProbe(Map<String, Object> container, String probe, String path, int port) {
    Map<String, Object> get = Y.map(container, probe + ".httpGet");
    assertThat(get).as(probe).isNotNull();
    assertThat(get.get("path")).as(probe).isEqualTo(path);
    Object p = get.get("port");
    int resolved = p instanceof Integer i ? i : containerPort(container, p.toString());
    assertThat(resolved).as(probe + " port").isEqualTo(port);
  }

  static void assertServiceTargets(Manifests m, String service, Map<String, Integer> expected) {
    Map<String, Object> svc = m.get("Service", service);
    Map<String, Object> c = container(m.get("Deployment", service));
    Map<String, Integer> actual = new HashMap<>();
    for (Object p : Y.list(svc, "spec.ports")) {
      actual.put(Y.str(p, "name"), containerPort(c, Y.str(p, "targetPort")));
      assertThat(Y.at(p, "port")).isEqualTo(containerPort(c, Y.str(p, "targetPort")));
    }
    assertThat(actual).isEqualTo(expected);
  }

  static Map<String, Object> podAnnotations(Manifests m, String deployment) {
    Map<String, Object> a = Y.map(m.get("Deployment", deployment), "spec.template.metadata.annotations");
    return a == null ? Map.of() : a;
  }

  static Map<String, String> decodedSecret(Map<String, Object> secret) {
    Map<String, String> out = new LinkedHashMap<>();
    Map<String, Object> data = Y.map(secret, "data");
    if (data != null) {
      data.forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v.toString()), StandardCharsets.UTF_8)));
    }
    Map<String, Object> stringData = Y.map(secret, "stringData");
    if (stringData != null) {
      stringData.forEach((k, v) -> out.put(k, String.valueOf(v)));
    }
    return out;
  }

  /**
   * The launcher's own table of jobs (cli SubmitCommand.Job: name, jar under the repository, entry class), read from
   * its source: the chart must run the same classes from the same modules' job jars.
   */
  static Map<String, String[]> submitCommandTable() {
    Path src = Path.of(System.getProperty("vigil.repo.dir", ".."), "cli/src/main/java/io/vigil/cli/SubmitCommand.java");
    try {
      String text = Files.readString(src);
      Matcher mt = Pattern.compile("\\(\"([a-z-]+)\",\\s*\"([^\"]+\\.jar)\",\\s*\"([\\w.]+)\"\\)").matcher(text);
      Map<String, String[]> table = new LinkedHashMap<>();
      while (mt.find()) {
        table.put(mt.group(1), new String[] {mt.group(2), mt.group(3)});
      }
      assertThat(table).as("jobs in " + src).hasSize(4);
      return table;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
