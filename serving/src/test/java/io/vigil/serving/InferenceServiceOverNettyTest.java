package io.vigil.serving;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link InferenceServiceContract} — each RPC, each invalid input and its status and
 * message, the prediction log, health and reflection — again over the real Netty transport on
 * loopback, as a remote client sees the server.
 */
class InferenceServiceOverNettyTest extends InferenceServiceContract {

  @BeforeAll
  static void start() throws Exception {
    startWith(true);
  }
}
