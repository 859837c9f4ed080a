package io.vigil.registry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vigil.registry.server.api.SearchFilter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchFilterTest {

  static final Map<String, Object> RUN = Map.of(
      "metrics.rmse", 0.25, "params.model", "mlp", "tags.my key", "x y", "attributes.status", "FINISHED");

  static boolean matches(String filter) {
    return SearchFilter.parse(filter).matches((entity, key) -> RUN.get(entity + "." + key));
  }

  @Test
  void evaluatesComparisonsLikeAndIn() {
    assertThat(matches("metrics.rmse < 0.3 AND params.model = 'mlp'")).isTrue();
    assertThat(matches("metrics.rmse >= 0.3")).isFalse();
    assertThat(matches("params.model LIKE 'm%'")).isTrue();
    assertThat(matches("params.model ILIKE 'M_P'")).isTrue();
    assertThat(matches("params.model LIKE 'M%'")).isFalse();
    assertThat(matches("tags.`my key` = \"x y\"")).isTrue();
    assertThat(matches("status IN ('FINISHED', 'FAILED')")).isTrue();
    assertThat(matches("status NOT IN ('FINISHED')")).isFalse();
    assertThat(matches("params.missing = 'a'")).isFalse();
    assertThat(matches("params.model != 'cnn'")).isTrue();
    assertThat(matches("")).isTrue();
  }

  @Test
  void rejectsMalformedFilters() {
    assertThatThrownBy(() -> SearchFilter.parse("metrics.rmse <")).isInstanceOf(MlflowException.class);
    assertThatThrownBy(() -> SearchFilter.parse("name = 'x' OR name = 'y'")).isInstanceOf(MlflowException.class);
    assertThatThrownBy(() -> SearchFilter.parse("name = 'unterminated")).isInstanceOf(MlflowException.class);
    assertThatThrownBy(() -> SearchFilter.parse("name; DROP TABLE runs")).isInstanceOf(MlflowException.class);
  }

  @Test
  void parsesOrderBy() {
    assertThat(SearchFilter.orders(List.of("metrics.rmse DESC", "name")))
        .containsExactly(new SearchFilter.Order("metrics", "rmse", false),
            new SearchFilter.Order("attributes", "name", true));
    assertThatThrownBy(() -> SearchFilter.orders(List.of("name SIDEWAYS"))).isInstanceOf(MlflowException.class);
  }
}
