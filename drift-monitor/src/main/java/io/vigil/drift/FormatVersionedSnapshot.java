package io.vigil.drift;

import java.io.IOException;
import java.util.function.Supplier;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;

/**
 * The snapshot of a compact state serializer whose format changed: {@link
 * SimpleTypeSerializerSnapshot}'s own versions (up to 3) mean the first format, {@code current} (4
 * or more) the one written now. Subclasses decide what an older snapshot means on restore (refused,
 * or migrated through a reader of the old format) by {@link #older()}.
 */
abstract class FormatVersionedSnapshot<T> extends SimpleTypeSerializerSnapshot<T> {

  /** The last of {@link SimpleTypeSerializerSnapshot}'s own versions: the first format. */
  static final int FIRST_FORMAT = 3;

  private final int current;
  private int readVersion;

  FormatVersionedSnapshot(Supplier<? extends TypeSerializer<T>> serializer, int current) {
    super(serializer);
    if (current <= FIRST_FORMAT) {
      throw new IllegalArgumentException("a later format needs a snapshot version above " + FIRST_FORMAT);
    }
    this.current = current;
    this.readVersion = current;
  }

  /** Whether it was written in an earlier format than the current one. */
  final boolean older() {
    return readVersion < current;
  }

  @Override
  public final int getCurrentVersion() {
    return current;
  }

  @Override
  public final void readSnapshot(int version, DataInputView in, ClassLoader loader) throws IOException {
    readVersion = version;
    super.readSnapshot(Math.min(version, FIRST_FORMAT), in, loader);
  }
}
