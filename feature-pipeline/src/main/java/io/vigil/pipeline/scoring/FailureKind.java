package io.vigil.pipeline.scoring;

import io.grpc.Status;

/** How the scoring stage treats a failed ModelInfer attempt, by its gRPC status. */
public enum FailureKind {
  /**
   * The server is away, overloaded, too slow, or refuses us (UNAVAILABLE, DEADLINE_EXCEEDED,
   * RESOURCE_EXHAUSTED, ABORTED, CANCELLED, UNAUTHENTICATED, PERMISSION_DENIED): not the vector's
   * fault, so it is retried forever (backoff capped, circuit breaker) and never dead-lettered.
   */
  TRANSIENT,
  /**
   * The server failed while scoring this vector (INTERNAL, UNKNOWN, DATA_LOSS): retried up to
   * {@code retry.maxInternalRetries} times, then dead-lettered, so one poisonous vector cannot stall
   * the stream.
   */
  SERVER_ERROR,
  /**
   * The vector or the request can never succeed (INVALID_ARGUMENT such as a wrong width, NOT_FOUND
   * such as an unknown model, OUT_OF_RANGE, FAILED_PRECONDITION, UNIMPLEMENTED): dead-lettered at
   * once with the status and message.
   */
  PERMANENT;

  public static FailureKind of(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, NOT_FOUND, OUT_OF_RANGE, FAILED_PRECONDITION, UNIMPLEMENTED, ALREADY_EXISTS -> PERMANENT;
      case INTERNAL, UNKNOWN, DATA_LOSS -> SERVER_ERROR;
      default -> TRANSIENT;
    };
  }
}
