package io.vigil.drift;

import static java.util.Objects.requireNonNull;

import java.util.function.Supplier;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The type information of a type that one of this job's compact serializers handles, so that Flink
 * uses that serializer (for keys or state) instead of deriving one. Two are equal when they name the
 * same class and serializer.
 */
final class CompactTypeInfo<T> extends TypeInformation<T> {

  private static final long serialVersionUID = 1L;

  /** A serializable factory of the serializer. */
  interface SerializerFactory<T> extends Supplier<TypeSerializer<T>>, java.io.Serializable {}

  private final Class<T> type;
  private final boolean key;
  private final String name;
  private final SerializerFactory<T> serializer;

  CompactTypeInfo(Class<T> type, boolean key, String name, SerializerFactory<T> serializer) {
    this.type = requireNonNull(type, "type");
    this.key = key;
    this.name = requireNonNull(name, "name");
    this.serializer = requireNonNull(serializer, "serializer");
  }

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<T> getTypeClass() {
    return type;
  }

  @Override
  public boolean isKeyType() {
    return key;
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return serializer.get();
  }

  @Override
  public String toString() {
    return name;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CompactTypeInfo<?> other && other.type == type && other.name.equals(name);
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + name.hashCode();
  }

  @Override
  public boolean canEqual(Object o) {
    return o instanceof CompactTypeInfo;
  }
}
