package io.vigil.embedded.junit;

import io.vigil.embedded.EmbeddedS3;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: a real S3-compatible server (s3proxy) over a temporary folder for the tests of
 * one class. Use as {@code @RegisterExtension static final S3ServerExtension S3 = new
 * S3ServerExtension();}.
 */
public final class S3ServerExtension implements BeforeAllCallback, AfterAllCallback {

  private EmbeddedS3 s3;

  @Override
  public void beforeAll(ExtensionContext context) {
    s3 = EmbeddedS3.startEphemeral();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (s3 != null) {
      s3.close();
      s3 = null;
    }
  }

  public EmbeddedS3 s3() {
    if (s3 == null) {
      throw new IllegalStateException("the S3 server runs only between beforeAll and afterAll");
    }
    return s3;
  }
}
