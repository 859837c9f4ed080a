package io.vigil.datasets;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.LongFunction;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lazily parses one CSV file of numeric rows into {@link Row}s. Every row must have {@code
 * columns} finite numbers (after an optional timestamp column); anything else fails with {@code
 * file:line: what was wrong}. The file is closed when the iterator is exhausted or fails.
 *
 * <p>In timestamped files a row whose time is not after the previous row's is skipped and counted,
 * with one warning per file naming the first such line: real exports have them (NAB's AWS series
 * repeat 03:00 a dozen times where the clock jumped for daylight saving), and the feature engine,
 * like the streaming feature job, takes one sample per entity and instant, in time order.
 */
final class CsvRows implements Iterator<Row> {

  private static final Logger LOG = LoggerFactory.getLogger(CsvRows.class);

  /** Reads the time of a row from its timestamp column. */
  interface TimeColumn {
    Instant parse(String text);
  }

  private final Path file;
  private final String label;
  private final int columns;
  private final long firstSequence;
  private final LongFunction<Instant> syntheticTime;
  private final TimeColumn timeColumn;
  private final boolean header;
  private Reader reader;
  private Iterator<CSVRecord> records;
  private Row next;
  private long count;
  private long line;
  private Instant lastTime;
  private long skipped;
  private long firstSkippedLine;

  private CsvRows(Path file, String label, int columns, long firstSequence,
      LongFunction<Instant> syntheticTime, TimeColumn timeColumn, boolean header) {
    this.file = file;
    this.label = label;
    this.columns = columns;
    this.firstSequence = firstSequence;
    this.syntheticTime = syntheticTime;
    this.timeColumn = timeColumn;
    this.header = header;
  }

  /** Rows without timestamps; row i gets sequence {@code firstSequence + i}. */
  static CsvRows synthetic(Path file, String label, int columns, long firstSequence,
      LongFunction<Instant> timeOfSequence) {
    return new CsvRows(file, label, columns, firstSequence, timeOfSequence, null, false);
  }

  /** Rows with a header and a timestamp in the first column. */
  static CsvRows timestamped(Path file, String label, int columns, TimeColumn timeColumn) {
    return new CsvRows(file, label, columns, 0, null, timeColumn, true);
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (records == null) {
      open();
    }
    if (records == null) {
      return false;
    }
    try {
      while (records.hasNext()) {
        CSVRecord rec = records.next();
        line++;
        if (rec.size() == 1 && rec.get(0).isBlank()) {
          continue;
        }
        Row r = parse(rec);
        if (r == null) {
          continue;
        }
        next = r;
        return true;
      }
    } catch (UncheckedIOException | IllegalStateException e) {
      close();
      throw DatasetException.at(file, line + 1, "unreadable CSV: " + e.getMessage());
    }
    close();
    return false;
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Row r = next;
    next = null;
    return r;
  }

  private void open() {
    try {
      reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
      records = CSVFormat.DEFAULT.builder().setIgnoreSurroundingSpaces(true).get()
          .parse(reader).iterator();
      if (header && records.hasNext()) {
        records.next();
        line = 1;
      }
    } catch (IOException e) {
      throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The row, or null when its time is not after the previous row's (skipped). */
  private Row parse(CSVRecord rec) {
    int offset = timeColumn == null ? 0 : 1;
    if (rec.size() != columns + offset) {
      close();
      throw DatasetException.at(file, line,
          "expected " + (columns + offset) + " columns, found " + rec.size());
    }
    Instant time;
    long sequence = firstSequence + count;
    if (timeColumn != null) {
      try {
        time = timeColumn.parse(rec.get(0));
      } catch (RuntimeException e) {
        close();
        throw DatasetException.at(file, line, "not a timestamp: '" + rec.get(0) + "'");
      }
      if (lastTime != null && !time.isAfter(lastTime)) {
        if (skipped++ == 0) {
          firstSkippedLine = line;
        }
        return null;
      }
      lastTime = time;
    } else {
      time = syntheticTime.apply(sequence);
    }
    double[] values = new double[columns];
    for (int i = 0; i < columns; i++) {
      String text = rec.get(i + offset);
      double v;
      try {
        v = Double.parseDouble(text);
      } catch (NumberFormatException e) {
        close();
        throw DatasetException.at(file, line,
            "column " + (i + offset + 1) + " is not a number: '" + text + "'");
      }
      if (!Double.isFinite(v)) {
        close();
        throw DatasetException.at(file, line,
            "column " + (i + offset + 1) + " is not a finite number: '" + text + "'");
      }
      values[i] = v;
    }
    count++;
    return new Row(sequence, time, values, label + ":" + line);
  }

  /** Rows skipped so far because their time was not after the previous row's. */
  long skipped() {
    return skipped;
  }

  private void close() {
    if (records != null && skipped > 0) {
      LOG.warn("{}: skipped {} row(s) whose timestamp was not after the previous row's (first at line {})",
          file, skipped, firstSkippedLine);
    }
    records = null;
    if (reader != null) {
      try {
        reader.close();
      } catch (IOException ignored) {
        // nothing more to read from it
      }
      reader = null;
    }
  }
}
