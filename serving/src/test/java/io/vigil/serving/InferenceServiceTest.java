package io.vigil.serving;

import org.junit.jupiter.api.BeforeAll;

/** {@link InferenceServiceContract} over an in-process gRPC channel. */
class InferenceServiceTest extends InferenceServiceContract {

  @BeforeAll
  static void start() throws Exception {
    startWith(false);
  }
}
