package io.vigil.pipeline;

import io.vigil.schemas.FeatureVector;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;

/**
 * The archive's file format: Avro container files of {@link FeatureVector}s, as Flink's {@code
 * AvroWriters.forSpecificRecord} writes them (same schema, no codec), but each record is appended
 * already encoded by {@link FeatureVectorWriter} instead of going through Avro's generic datum
 * writer, a boxed {@code Double} per feature.
 */
final class FeatureArchiveFormat implements BulkWriter.Factory<FeatureRecord> {

  private static final long serialVersionUID = 1L;

  @Override
  public BulkWriter<FeatureRecord> create(FSDataOutputStream out) throws IOException {
    DataFileWriter<FeatureVector> file = new DataFileWriter<>(new SpecificDatumWriter<>(FeatureVector.class));
    // the part file's stream belongs to the FileSink: closing the Avro file must not close it
    file.create(FeatureVector.getClassSchema(), new FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush();
      }
    });
    FeatureVectorWriter writer = new FeatureVectorWriter();
    return new BulkWriter<>() {
      @Override
      public void addElement(FeatureRecord r) throws IOException {
        file.appendEncoded(ByteBuffer.wrap(writer.encodeBody(r.vector)));
      }

      @Override
      public void flush() throws IOException {
        file.flush();
      }

      @Override
      public void finish() throws IOException {
        file.close();
      }
    };
  }
}
