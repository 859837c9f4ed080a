package io.vigil.pipeline.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** Which failures are retried forever, which a few times, and which dead-letter the vector at once. */
class FailureKindTest {

  @Test
  void serverAwayOverloadedOrTooSlowIsRetriedForever() {
    for (Status.Code c : new Status.Code[] {Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED,
        Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED, Status.Code.CANCELLED,
        Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED}) {
      assertThat(FailureKind.of(c)).as("%s", c).isEqualTo(FailureKind.TRANSIENT);
    }
  }

  @Test
  void theVectorsOwnFaultsGoToTheDlqAtOnceAndServerFailuresAfterAFewRetries() {
    assertThat(FailureKind.of(Status.Code.INVALID_ARGUMENT)).isEqualTo(FailureKind.PERMANENT);
    assertThat(FailureKind.of(Status.Code.NOT_FOUND)).isEqualTo(FailureKind.PERMANENT);
    assertThat(FailureKind.of(Status.Code.FAILED_PRECONDITION)).isEqualTo(FailureKind.PERMANENT);
    assertThat(FailureKind.of(Status.Code.UNIMPLEMENTED)).isEqualTo(FailureKind.PERMANENT);
    assertThat(FailureKind.of(Status.Code.INTERNAL)).isEqualTo(FailureKind.SERVER_ERROR);
    assertThat(FailureKind.of(Status.Code.UNKNOWN)).isEqualTo(FailureKind.SERVER_ERROR);
  }
}
