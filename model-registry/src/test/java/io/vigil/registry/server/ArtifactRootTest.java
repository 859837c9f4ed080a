package io.vigil.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.registry.server.artifacts.ArtifactPaths;
import io.vigil.registry.server.artifacts.ArtifactRoot;
import org.junit.jupiter.api.Test;

class ArtifactRootTest {

  final ArtifactRoot root = ArtifactRoot.parse("s3://vigil-models/mlflow/");

  @Test
  void acceptsLocationsInsideTheRoot() {
    assertThat(root.uri()).isEqualTo("s3://vigil-models/mlflow");
    assertThat(root.checkedLocation("s3://vigil-models/mlflow/1/abc/artifacts/model", "source"))
        .isEqualTo("s3://vigil-models/mlflow/1/abc/artifacts/model");
    assertThat(root.checkedLocation("mlflow-artifacts:/1/abc", "source")).isEqualTo("s3://vigil-models/mlflow/1/abc");
    assertThat(root.key("1/x")).isEqualTo("mlflow/1/x");
    assertThat(ArtifactPaths.fromRawUrl("a%20b/c.txt")).isEqualTo("a b/c.txt");
  }

  @Test
  void refusesLocationsOutsideTheRoot() {
    for (String bad : new String[] {"s3://vigil-models/other", "s3://vigil-models/mlflowx/y", "s3://x/mlflow",
        "file:///etc", "s3://vigil-models/mlflow/../x", "s3://vigil-models/mlflow/a#b", "HTTP://h/x"}) {
      assertThatThrownBy(() -> root.checkedLocation(bad, "source")).as(bad).isInstanceOf(MlflowException.class);
    }
  }

  @Test
  void rejectsABadRootAtConfigurationTime() {
    assertThatThrownBy(() -> ArtifactRoot.parse("file:///tmp")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ArtifactRoot.parse("s3://Bad_Bucket/x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ArtifactRoot.parse("s3://bucket/../x")).isInstanceOf(IllegalArgumentException.class);
  }
}
