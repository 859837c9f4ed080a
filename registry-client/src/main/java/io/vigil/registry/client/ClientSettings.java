package io.vigil.registry.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How to reach the registry and its artifact store.
 *
 * @param trackingUri e.g. http://127.0.0.1:5000
 * @param username Basic auth user, or null
 * @param password Basic auth password, or null
 * @param token Bearer token, or null (wins over Basic)
 * @param s3Endpoint S3 endpoint serving the artifact root, e.g. http://127.0.0.1:9000
 */
public record ClientSettings(String trackingUri, String username, String password, String token,
    String s3Endpoint, String s3AccessKey, String s3SecretKey, String s3Region, RetryPolicy retry,
    Duration timeout) {

  public ClientSettings {
    requireNonNull(trackingUri, "trackingUri");
    if (trackingUri.endsWith("/")) {
      trackingUri = trackingUri.substring(0, trackingUri.length() - 1);
    }
    requireNonNull(retry, "retry");
    requireNonNull(timeout, "timeout");
  }

  /** Without authentication, default retries, 30 s timeout. */
  public static ClientSettings of(String trackingUri, String s3Endpoint, String s3AccessKey,
      String s3SecretKey) {
    return new ClientSettings(trackingUri, null, null, null, s3Endpoint, s3AccessKey, s3SecretKey,
        "us-east-1", RetryPolicy.defaults(), Duration.ofSeconds(30));
  }

  public ClientSettings withRetry(RetryPolicy newRetry) {
    return new ClientSettings(trackingUri, username, password, token, s3Endpoint, s3AccessKey,
        s3SecretKey, s3Region, newRetry, timeout);
  }

  public ClientSettings withBasicAuth(String user, String pass) {
    return new ClientSettings(trackingUri, user, pass, null, s3Endpoint, s3AccessKey, s3SecretKey,
        s3Region, retry, timeout);
  }

  public ClientSettings withToken(String newToken) {
    return new ClientSettings(trackingUri, null, null, newToken, s3Endpoint, s3AccessKey,
        s3SecretKey, s3Region, retry, timeout);
  }

  @Override
  public String toString() {
    return "ClientSettings[" + trackingUri + ", s3=" + s3Endpoint + "]";
  }
}
