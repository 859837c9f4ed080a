package io.vigil.serving;

import io.grpc.Status;

/** Every way a request can fail, mapped once to a gRPC status. */
public enum ErrorCode {
  /** The request is malformed or does not fit the model: the caller must change it. */
  INVALID_ARGUMENT(Status.Code.INVALID_ARGUMENT),
  /** No such model or version on this server. */
  NOT_FOUND(Status.Code.NOT_FOUND),
  /** No model is loaded yet, or the server is stopping: retry later or elsewhere. */
  UNAVAILABLE(Status.Code.UNAVAILABLE),
  /** The queue is full: back off and retry. */
  RESOURCE_EXHAUSTED(Status.Code.RESOURCE_EXHAUSTED),
  /** The call carries no valid bearer token. */
  UNAUTHENTICATED(Status.Code.UNAUTHENTICATED),
  /** The caller cancelled the call before it ran; the work was dropped. */
  CANCELLED(Status.Code.CANCELLED),
  /** The caller's deadline passed before the answer was ready. */
  DEADLINE_EXCEEDED(Status.Code.DEADLINE_EXCEEDED),
  /** A fault of ours; details are logged, never returned. */
  INTERNAL(Status.Code.INTERNAL);

  private final Status.Code grpc;

  ErrorCode(Status.Code grpc) {
    this.grpc = grpc;
  }

  public Status toStatus(String description) {
    return Status.fromCode(grpc).withDescription(description);
  }
}
