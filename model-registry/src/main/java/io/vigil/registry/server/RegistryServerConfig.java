package io.vigil.registry.server;

import static java.util.Objects.requireNonNull;

import io.vigil.config.ConfigLoader;
import io.vigil.registry.server.artifacts.ArtifactRoot;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Configuration of the embedded MLflow-compatible registry server. Loaded from {@link #defaults()},
 * then a YAML file, then {@code VIGIL_REGISTRY__*} environment variables (e.g. {@code
 * VIGIL_REGISTRY__STORE__JDBC_URL}, {@code VIGIL_REGISTRY__PORT}); see {@link #loader()}.
 *
 * @param host interface to bind, default 127.0.0.1
 * @param port HTTP port, default 5000 (0 = any free port)
 * @param store metadata database
 * @param artifacts artifact root in S3
 * @param auth optional Basic or Bearer authentication
 * @param maxResults largest {@code max_results} a search accepts (larger is INVALID_PARAMETER_VALUE)
 * @param shutdownGraceSeconds how long in-flight requests may finish on stop
 */
public record RegistryServerConfig(String host, int port, Store store, Artifacts artifacts,
    Auth auth, int maxResults, int shutdownGraceSeconds) {

  public static final String ENV_PREFIX = "VIGIL_REGISTRY__";

  public RegistryServerConfig {
    requireNonNull(host, "host must be set");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be in 0..65535 (0 = any free port): " + port);
    }
    requireNonNull(store, "store must be set");
    requireNonNull(artifacts, "artifacts must be set");
    requireNonNull(auth, "auth must be set");
    if (maxResults < 1 || maxResults > 100_000) {
      throw new IllegalArgumentException("maxResults must be in 1..100000: " + maxResults);
    }
    if (shutdownGraceSeconds < 0) {
      throw new IllegalArgumentException("shutdownGraceSeconds must be >= 0");
    }
  }

  /**
   * @param jdbcUrl {@code jdbc:h2:file:...} (default, under .vigil/registry) or {@code
   *     jdbc:postgresql://host/db}
   * @param maxPoolSize HikariCP pool size
   */
  public record Store(String jdbcUrl, String user, String password, int maxPoolSize) {
    public Store {
      requireNonNull(jdbcUrl, "store.jdbcUrl must be set");
      if (!jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "store.jdbcUrl must be jdbc:h2:... or jdbc:postgresql:...: " + jdbcUrl);
      }
      user = user == null ? "" : user;
      password = password == null ? "" : password;
      if (maxPoolSize < 1) {
        throw new IllegalArgumentException("store.maxPoolSize must be >= 1");
      }
    }
  }

  /**
   * @param root {@code s3://bucket/prefix}: every experiment, run and model version lives below it
   * @param endpoint S3 endpoint (e.g. http://minio:9000); null = the caller provides one (the CLI
   *     starts an embedded S3 server)
   * @param createBucket create the bucket at start if it is missing
   */
  public record Artifacts(String root, String endpoint, String accessKey, String secretKey,
      String region, boolean createBucket) {
    public Artifacts {
      requireNonNull(root, "artifacts.root must be set");
      ArtifactRoot.parse(root);
      requireNonNull(accessKey, "artifacts.accessKey must be set");
      requireNonNull(secretKey, "artifacts.secretKey must be set");
      requireNonNull(region, "artifacts.region must be set");
    }

    public ArtifactRoot artifactRoot() {
      return ArtifactRoot.parse(root);
    }

    public Artifacts withEndpoint(String newEndpoint) {
      return new Artifacts(root, newEndpoint, accessKey, secretKey, region, createBucket);
    }
  }

  /** NONE, BASIC or BEARER; applied to every route alike. */
  public enum AuthMode { NONE, BASIC, BEARER }

  /**
   * @param mode NONE (default), BASIC (users: name to password) or BEARER (tokens: token to name)
   */
  public record Auth(AuthMode mode, Map<String, String> users, Map<String, String> tokens) {
    public Auth {
      requireNonNull(mode, "auth.mode must be set");
      users = Map.copyOf(users == null ? Map.of() : users);
      tokens = Map.copyOf(tokens == null ? Map.of() : tokens);
      if (mode == AuthMode.BASIC && users.isEmpty()) {
        throw new IllegalArgumentException("auth.mode BASIC needs at least one entry in auth.users");
      }
      if (mode == AuthMode.BEARER && tokens.isEmpty()) {
        throw new IllegalArgumentException("auth.mode BEARER needs at least one entry in auth.tokens");
      }
    }

    public static Auth none() {
      return new Auth(AuthMode.NONE, Map.of(), Map.of());
    }
  }

  public static RegistryServerConfig defaults() {
    return new RegistryServerConfig("127.0.0.1", 5000,
        new Store("jdbc:h2:file:./.vigil/registry/registry;LOCK_TIMEOUT=10000", "sa", "", 8),
        new Artifacts("s3://vigil-models/mlflow", null, "vigil", "vigil-secret-key", "us-east-1", true),
        Auth.none(), 50_000, 10);
  }

  public static ConfigLoader<RegistryServerConfig> loader() {
    return new ConfigLoader<>(RegistryServerConfig.class, defaults(), ENV_PREFIX, Set.of());
  }

  public RegistryServerConfig withPort(int newPort) {
    return new RegistryServerConfig(host, newPort, store, artifacts, auth, maxResults, shutdownGraceSeconds);
  }

  public RegistryServerConfig withStore(Store newStore) {
    return new RegistryServerConfig(host, port, newStore, artifacts, auth, maxResults, shutdownGraceSeconds);
  }

  public RegistryServerConfig withArtifacts(Artifacts newArtifacts) {
    return new RegistryServerConfig(host, port, store, newArtifacts, auth, maxResults, shutdownGraceSeconds);
  }

  public RegistryServerConfig withAuth(Auth newAuth) {
    return new RegistryServerConfig(host, port, store, artifacts, newAuth, maxResults, shutdownGraceSeconds);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "registry %s:%d store=%s artifacts=%s auth=%s", host, port,
        store.jdbcUrl(), artifacts.root(), auth.mode());
  }
}
