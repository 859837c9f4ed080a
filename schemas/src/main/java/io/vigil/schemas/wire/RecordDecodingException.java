package io.vigil.schemas.wire;

import static java.util.Objects.requireNonNull;

import org.apache.kafka.common.errors.SerializationException;

/** Bytes that are not a readable Vigil record; {@link #code()} goes into the dead-letter record. */
public final class RecordDecodingException extends SerializationException {

  private static final long serialVersionUID = 1L;

  /** Why the bytes could not be read. */
  public enum Code {
    EMPTY_RECORD,
    BAD_HEADER,
    UNKNOWN_SCHEMA,
    CORRUPT_BODY
  }

  private final Code code;

  public RecordDecodingException(Code code, String message) {
    super(message);
    this.code = requireNonNull(code, "code");
  }

  public Code code() {
    return code;
  }
}
