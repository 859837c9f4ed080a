package io.vigil.helm;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The chart under test, driven by the real Helm library in-process (helm-java): {@code helm template} and
 * {@code helm lint}, and the rendered manifests parsed into maps.
 */
final class Chart {

  static final String RELEASE = "vigil";
  static final String NAMESPACE = "aiops";
  static final YAMLMapper YAML = new YAMLMapper();

  final Path dir;

  Chart(Path dir) {
    this.dir = requireNonNull(dir, "dir");
  }

  static Chart located() {
    FakeKubeApi.start();
    String prop = System.getProperty("vigil.chart.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("vigil");
    if (!Files.isRegularFile(dir.resolve("Chart.yaml"))) {
      throw new IllegalStateException("chart not found at " + dir.toAbsolutePath());
    }
    return new Chart(dir);
  }

  Path valuesFile(String relative) {
    return dir.resolve(relative);
  }

  /** {@code helm template} with the values files in order, then the {@code --set} pairs. */
  String template(List<Path> valuesFiles, Map<String, Object> sets) {
    TemplateCommand t = new Helm(dir).template().withName(RELEASE).withNamespace(NAMESPACE);
    for (Path f : valuesFiles) {
      t = t.withValuesFile(f);
    }
    for (Map.Entry<String, Object> e : sets.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    return t.call();
  }

  /** As {@link #template}, parsed: one map per manifest. */
  Manifests render(List<Path> valuesFiles, Map<String, Object> sets) {
    return Manifests.parse(template(valuesFiles, sets));
  }

  /** The defaults plus the required minimum ({@code ci/default-values.yaml}), with extra sets. */
  Manifests renderDefaults(Map<String, Object> sets) {
    return render(List.of(valuesFile("ci/default-values.yaml")), sets);
  }

  Manifests renderProduction(Map<String, Object> sets) {
    return render(List.of(valuesFile("values-production.yaml")), sets);
  }

  /**
   * {@code helm lint --strict} with {@code values.yaml} deep-merged with {@code overlay} (helm-java's lint takes no
   * values file, so a copy of the chart gets the merged values.yaml); null overlay = the chart as it is.
   */
  LintResult lint(Path overlay, Path workDir) {
    Path copy = workDir.resolve("vigil");
    copyTree(dir, copy);
    if (overlay != null) {
      try {
        Map<String, Object> base = readMap(dir.resolve("values.yaml"));
        deepMerge(base, readMap(overlay));
        YAML.writeValue(copy.resolve("values.yaml").toFile(), base);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return new Helm(copy).lint().strict().call();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> readMap(Path file) throws IOException {
    Map<String, Object> m = YAML.readValue(file.toFile(), Map.class);
    return m == null ? new LinkedHashMap<>() : m;
  }

  @SuppressWarnings("unchecked")
  static void deepMerge(Map<String, Object> base, Map<String, Object> overlay) {
    for (Map.Entry<String, Object> e : overlay.entrySet()) {
      Object old = base.get(e.getKey());
      if (old instanceof Map && e.getValue() instanceof Map) {
        deepMerge((Map<String, Object>) old, (Map<String, Object>) e.getValue());
      } else {
        base.put(e.getKey(), e.getValue());
      }
    }
  }

  private static void copyTree(Path from, Path to) {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rendered manifests. */
  static final class Manifests {
    final List<Map<String, Object>> all;

    private Manifests(List<Map<String, Object>> all) {
      this.all = List.copyOf(all);
    }

    @SuppressWarnings("unchecked")
    static Manifests parse(String rendered) {
      List<Map<String, Object>> docs = new ArrayList<>();
      try (MappingIterator<Object> it = YAML.readerFor(Object.class).readValues(rendered)) {
        while (it.hasNext()) {
          Object doc = it.next();
          if (doc instanceof Map<?, ?> m && !m.isEmpty()) {
            docs.add((Map<String, Object>) m);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("rendered manifests are not YAML", e);
      }
      return new Manifests(docs);
    }

    List<Map<String, Object>> ofKind(String kind) {
      return all.stream().filter(m -> kind.equals(m.get("kind"))).toList();
    }

    Optional<Map<String, Object>> find(String kind, String name) {
      return ofKind(kind).stream().filter(m -> name.equals(Y.str(m, "metadata.name"))).findFirst();
    }

    Map<String, Object> get(String kind, String name) {
      return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered; have: "
          + all.stream().map(m -> m.get("kind") + "/" + Y.str(m, "metadata.name")).toList()));
    }
  }

  /** Dotted-path access into parsed YAML. */
  static final class Y {
    private Y() {}

    static Object at(Object node, String path) {
      Object cur = node;
      for (String part : path.split("\\.")) {
        if (cur instanceof Map<?, ?> m) {
          cur = m.get(part);
        } else if (cur instanceof List<?> l && part.matches("\\d+")) {
          cur = Integer.parseInt(part) < l.size() ? l.get(Integer.parseInt(part)) : null;
        } else {
          return null;
        }
      }
      return cur;
    }

    static String str(Object node, String path) {
      Object v = at(node, path);
      return v == null ? null : v.toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, String path) {
      Object v = at(node, path);
      return v instanceof Map ? (Map<String, Object>) v : null;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node, String path) {
      Object v = at(node, path);
      return v instanceof List ? (List<Object>) v : List.of();
    }
  }
}
