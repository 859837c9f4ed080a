package io.vigil.drift;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * What this job's compact state serializers share: variable length, no reuse on reads (a fresh
 * object each time), copy between views through a read and a write, and equality by class (they
 * have no configuration). Subclasses keep a per-instance scratch buffer, so {@link #duplicate()}
 * makes a new instance. Public for the label-request job's state serializers.
 */
public abstract class CompactSerializer<T> extends TypeSerializer<T> {

  private static final long serialVersionUID = 1L;

  private transient CompactIO io;

  /** This instance's scratch reader/writer (serializers are used by one thread at a time). */
  protected final CompactIO io() {
    if (io == null) {
      io = new CompactIO();
    }
    return io;
  }

  @Override
  public T copy(T from, T reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public T deserialize(T reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    serialize(deserialize(in), out);
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass();
  }

  @Override
  public int hashCode() {
    return getClass().hashCode();
  }
}
