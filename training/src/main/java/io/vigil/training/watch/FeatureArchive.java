package io.vigil.training.watch;

import static java.util.Objects.requireNonNull;

import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.messages.Item;
import io.vigil.schemas.FeatureVector;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.specific.SpecificDatumReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the feature job's offline archive: Avro container files of {@link FeatureVector}s under
 * {@code ROOT/date=YYYY-MM-DD/hour=HH/} (UTC hour of the window end), on S3 ({@code s3://bucket/prefix},
 * MinIO client) or on a file system ({@code file:///dir} or a plain path).
 *
 * <p>Only finished part files are read: names (or directories) starting with {@code .} or {@code _}
 * are skipped — Flink's file sink writes in-progress parts as hidden files and renames them on commit.
 * Partitions entirely outside the requested time range are not opened. A file that cannot be read
 * (not Avro, truncated) is logged and counted ({@link Stats#unreadableFiles()}) and reading goes on
 * with the next one: training uses what could be read (of a truncated file, the records before the
 * damage) and says how much it left out.
 */
public final class FeatureArchive {

  private static final Logger LOG = LoggerFactory.getLogger(FeatureArchive.class);

  /** What one read saw. */
  public record Stats(int files, int prunedFiles, int unreadableFiles, long vectors, long outsideRange) {}

  /** S3 access for {@code s3://} locations. */
  public record S3(String endpoint, String accessKey, String secretKey, String region) {}

  private final String location;
  private final Path localRoot;
  private final MinioClient minio;
  private final String bucket;
  private final String prefix;

  private FeatureArchive(String location, Path localRoot, MinioClient minio, String bucket, String prefix) {
    this.location = location;
    this.localRoot = localRoot;
    this.minio = minio;
    this.bucket = bucket;
    this.prefix = prefix;
  }

  /**
   * @param location {@code s3://bucket[/prefix]}, {@code file:///dir} or a directory path
   * @param s3 credentials for {@code s3://} locations (may be null otherwise)
   */
  public static FeatureArchive open(String location, S3 s3) {
    requireNonNull(location, "location");
    if (location.startsWith("s3://")) {
      requireNonNull(s3, "S3 settings are needed for " + location);
      String rest = location.substring("s3://".length());
      int slash = rest.indexOf('/');
      String bucket = slash < 0 ? rest : rest.substring(0, slash);
      String prefix = slash < 0 ? "" : rest.substring(slash + 1);
      if (bucket.isBlank()) {
        throw new IllegalArgumentException("archive location " + location + " names no bucket");
      }
      if (!prefix.isEmpty() && !prefix.endsWith("/")) {
        prefix = prefix + "/";
      }
      MinioClient minio = MinioClient.builder().endpoint(s3.endpoint()).credentials(s3.accessKey(), s3.secretKey())
          .region(s3.region()).build();
      return new FeatureArchive(location, null, minio, bucket, prefix);
    }
    Path root = location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
    return new FeatureArchive(location, root, null, null, null);
  }

  public String location() {
    return location;
  }

  /**
   * Every vector whose window end is in {@code [since, until)}, file by file in partition order
   * (oldest hour first), records in file order.
   *
   * @param since null = from the beginning
   * @param until null = to the end
   */
  public Stats read(Instant since, Instant until, Consumer<FeatureVector> sink) {
    List<String> names = list();
    int pruned = 0;
    int unreadable = 0;
    int files = 0;
    long vectors = 0;
    long outside = 0;
    for (String name : names) {
      if (!inRange(name, since, until)) {
        pruned++;
        continue;
      }
      files++;
      try (InputStream in = open(name);
          DataFileStream<FeatureVector> avro = new DataFileStream<>(in,
              new SpecificDatumReader<>(FeatureVector.class))) {
        while (avro.hasNext()) {
          FeatureVector v = avro.next();
          Instant end = v.getWindowEnd();
          if ((since != null && end.isBefore(since)) || (until != null && !end.isBefore(until))) {
            outside++;
            continue;
          }
          vectors++;
          sink.accept(v);
        }
      } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
        unreadable++;
        LOG.warn("archive file {} cannot be read and is left out: {}", describe(name), e.getMessage());
      }
    }
    LOG.info("archive {}: {} files read, {} outside the range, {} unreadable; {} vectors", location, files,
        pruned, unreadable, vectors);
    return new Stats(files, pruned, unreadable, vectors, outside);
  }

  /** Relative names of the finished part files, sorted (partition order). */
  List<String> list() {
    List<String> out = new ArrayList<>();
    if (localRoot != null) {
      if (!Files.isDirectory(localRoot)) {
        throw new IllegalArgumentException("archive " + location + " is not a directory");
      }
      try (Stream<Path> s = Files.walk(localRoot)) {
        s.filter(Files::isRegularFile).map(p -> localRoot.relativize(p).toString().replace('\\', '/'))
            .filter(FeatureArchive::finished).forEach(out::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list the archive " + location, e);
      }
    } else {
      try {
        for (Result<Item> r : minio.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
            .recursive(true).build())) {
          Item item = r.get();
          if (item.isDir()) {
            continue;
          }
          String rel = item.objectName().substring(prefix.length());
          if (finished(rel)) {
            out.add(rel);
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException("cannot list the archive " + location + ": " + e.getMessage(), e);
      }
    }
    out.sort(null);
    return out;
  }

  private InputStream open(String rel) throws IOException {
    if (localRoot != null) {
      return Files.newInputStream(localRoot.resolve(rel));
    }
    try {
      return minio.getObject(GetObjectArgs.builder().bucket(bucket).object(prefix + rel).build());
    } catch (Exception e) {
      throw new IOException("cannot read s3://" + bucket + "/" + prefix + rel + ": " + e.getMessage(), e);
    }
  }

  private String describe(String rel) {
    return localRoot != null ? localRoot.resolve(rel).toString() : "s3://" + bucket + "/" + prefix + rel;
  }

  /** A committed part file: no segment hidden ({@code .}, {@code _}), i.e. not in progress. */
  static boolean finished(String rel) {
    for (String seg : rel.split("/")) {
      if (seg.isEmpty() || seg.startsWith(".") || seg.startsWith("_")) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a file's partition ({@code date=…/hour=…} segments, UTC) can hold window ends in
   * {@code [since, until)}; files outside such partitions are always read.
   */
  static boolean inRange(String rel, Instant since, Instant until) {
    LocalDate date = null;
    int hour = -1;
    for (String seg : rel.split("/")) {
      try {
        if (seg.startsWith("date=")) {
          date = LocalDate.parse(seg.substring(5));
        } else if (seg.startsWith("hour=")) {
          hour = Integer.parseInt(seg.substring(5));
        }
      } catch (DateTimeParseException | NumberFormatException e) {
        return true; // not a partition this reader understands: read it and filter by record
      }
    }
    if (date == null) {
      return true;
    }
    Instant start = date.atStartOfDay(ZoneOffset.UTC).toInstant();
    Duration span = Duration.ofDays(1);
    if (hour >= 0 && hour < 24) {
      start = start.plus(Duration.ofHours(hour));
      span = Duration.ofHours(1);
    }
    Instant end = start.plus(span);
    return (since == null || end.isAfter(since)) && (until == null || start.isBefore(until));
  }
}
