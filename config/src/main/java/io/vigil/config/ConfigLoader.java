package io.vigil.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Binds a deployable's configuration to an immutable record: its defaults, then a YAML file, then
 * environment variables, each overriding the one before.
 *
 * <p>Environment variables: {@code PREFIX_} followed by the key path, levels separated by a double
 * underscore, words by a single one: {@code VIGIL_KAFKA__BOOTSTRAP_SERVERS} sets {@code
 * kafka.bootstrapServers}. Unknown keys, from the file or the environment, are errors, as are values
 * that don't parse and values the record's constructor rejects. Variables listed as reserved (e.g.
 * {@code VIGIL_HOME}) are not configuration keys and are ignored; a reserved entry ending in {@code
 * *} reserves a whole prefix (another deployable's variables, e.g. {@code VIGIL_REGISTRY__*}).
 */
public final class ConfigLoader<T> {

  private static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
          .findAndRegisterModules()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  private final Class<T> type;
  private final T defaults;
  private final String envPrefix;
  private final Set<String> reservedEnv;

  public ConfigLoader(Class<T> type, T defaults, String envPrefix, Set<String> reservedEnv) {
    this.type = requireNonNull(type, "type");
    this.defaults = requireNonNull(defaults, "defaults");
    this.envPrefix = requireNonNull(envPrefix, "envPrefix");
    this.reservedEnv = Set.copyOf(reservedEnv);
  }

  /** Loads defaults, then {@code file} (if not null), then the matching variables of {@code env}. */
  public T load(Path file, Map<String, String> env) {
    ObjectNode tree = YAML.valueToTree(defaults);
    String origin = "defaults";
    if (file != null) {
      JsonNode fromFile = readFile(file);
      merge(tree, fromFile);
      origin = "file " + file;
    }
    Map<String, String> applied = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(envPrefix) || isReserved(name)) {
        continue;
      }
      String path = envToPath(name.substring(envPrefix.length()));
      setPath(tree, path, e.getValue());
      applied.put(path, name);
    }
    try {
      return YAML.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      String key = pathOf(e);
      String from = applied.containsKey(key) ? "environment variable " + applied.get(key) : origin;
      throw new ConfigException(
          "unknown config key '" + key + "' (from " + from + "); known keys here: "
              + e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                  .collect(Collectors.joining(", ")));
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new ConfigException("invalid configuration: " + cause.getMessage(), cause);
    } catch (InvalidFormatException e) {
      String key = pathOf(e);
      String from = applied.containsKey(key) ? "environment variable " + applied.get(key) : origin;
      throw new ConfigException(
          "config key '" + key + "' (from " + from + "): cannot read '" + e.getValue() + "' as "
              + e.getTargetType().getSimpleName());
    } catch (MismatchedInputException e) {
      throw new ConfigException("config key '" + pathOf(e) + "': " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException("invalid configuration: " + e.getMessage(), e);
    }
  }

  private boolean isReserved(String name) {
    for (String r : reservedEnv) {
      if (r.endsWith("*") ? name.startsWith(r.substring(0, r.length() - 1)) : name.equals(r)) {
        return true;
      }
    }
    return false;
  }

  /** The defaults as YAML: the documentation of every key. */
  public String defaultsAsYaml() {
    try {
      return YAML.writeValueAsString(defaults);
    } catch (IOException e) {
      throw new ConfigException("cannot render defaults", e);
    }
  }

  /** Renders any config value as YAML (for "what is running with which settings"). */
  public String toYaml(T value) {
    try {
      return YAML.writeValueAsString(value);
    } catch (IOException e) {
      throw new ConfigException("cannot render configuration", e);
    }
  }

  /** {@code KAFKA__BOOTSTRAP_SERVERS} to {@code kafka.bootstrapServers}. */
  static String envToPath(String suffix) {
    StringBuilder out = new StringBuilder();
    String[] levels = suffix.split("__", -1);
    for (int i = 0; i < levels.length; i++) {
      if (i > 0) {
        out.append('.');
      }
      String[] words = levels[i].toLowerCase(Locale.ROOT).split("_");
      out.append(words[0]);
      for (int w = 1; w < words.length; w++) {
        if (!words[w].isEmpty()) {
          out.append(Character.toUpperCase(words[w].charAt(0))).append(words[w].substring(1));
        }
      }
    }
    return out.toString();
  }

  private static JsonNode readFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist or is not a file");
    }
    try {
      JsonNode node = YAML.readTree(file.toFile());
      if (node == null || node.isMissingNode() || node.isNull()) {
        return JsonNodeFactory.instance.objectNode();
      }
      if (!node.isObject()) {
        throw new ConfigException("config file " + file + " must hold a mapping of keys");
      }
      return node;
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " is not valid YAML: " + e.getMessage(), e);
    }
  }

  private static void merge(ObjectNode target, JsonNode source) {
    Iterator<Map.Entry<String, JsonNode>> fields = source.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode existing = target.get(f.getKey());
      if (existing instanceof ObjectNode obj && f.getValue().isObject()) {
        merge(obj, f.getValue());
      } else {
        target.set(f.getKey(), f.getValue());
      }
    }
  }

  private static void setPath(ObjectNode root, String path, String value) {
    String[] parts = path.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (!(child instanceof ObjectNode)) {
        child = node.putObject(parts[i]);
      }
      node = (ObjectNode) child;
    }
    node.put(parts[parts.length - 1], value);
  }

  private static String pathOf(MismatchedInputException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }
}
