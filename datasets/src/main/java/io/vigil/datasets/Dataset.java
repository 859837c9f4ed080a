package io.vigil.datasets;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A labelled telemetry directory, opened: its format and one {@link EntitySeries} per entity,
 * sorted by entity name. Opening reads only names, line counts and label files; rows are read
 * lazily.
 */
public final class Dataset {

  private static final DateTimeFormatter NAB_TIME =
      new DateTimeFormatterBuilder()
          .appendPattern("yyyy-MM-dd[ ]['T']HH:mm:ss")
          .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
          .toFormatter();

  /** Share of a NAB series treated as its training (probationary) part, as NAB itself does. */
  public static final double NAB_TRAIN_SHARE = 0.15;

  private final DatasetFormat format;
  private final Path root;
  private final List<EntitySeries> entities;

  private Dataset(DatasetFormat format, Path root, List<EntitySeries> entities) {
    this.format = format;
    this.root = root;
    this.entities = List.copyOf(entities);
  }

  /** Opens {@code dir}, recognising its layout. */
  public static Dataset open(Path dir, DatasetOptions options) {
    requireNonNull(options, "options");
    DatasetFormat format = DatasetFormat.detect(dir);
    List<EntitySeries> series = switch (format) {
      case SMD -> openSplitLayout(dir, options, ".txt", Duration.ofMinutes(1));
      case JUMPSTARTER -> openSplitLayout(dir, options, ".csv", Duration.ofMinutes(5));
      case NAB -> openNab(dir, options);
    };
    if (series.isEmpty()) {
      throw new DatasetException(dir + ": no entities" + (options.entities().isEmpty() ? ""
          : " named " + options.entities()) + " in this " + format + " directory");
    }
    if (!options.entities().isEmpty()) {
      List<String> found = series.stream().map(EntitySeries::entity).toList();
      List<String> missing = options.entities().stream().filter(e -> !found.contains(e)).sorted().toList();
      if (!missing.isEmpty()) {
        throw new DatasetException(dir + ": no entity named " + missing);
      }
    }
    return new Dataset(format, dir, series);
  }

  public DatasetFormat format() {
    return format;
  }

  public Path root() {
    return root;
  }

  public List<EntitySeries> entities() {
    return entities;
  }

  /** Reads every row of every entity once; returns the total or throws on the first bad row. */
  public long validate() {
    long n = 0;
    for (EntitySeries s : entities) {
      n += s.validate();
    }
    return n;
  }

  // ---- SMD and JumpStarter: train/, test/, test_label/, interpretation_label/ ----

  private static List<EntitySeries> openSplitLayout(Path dir, DatasetOptions options, String ext,
      Duration defaultInterval) {
    Duration interval = options.interval() == null ? defaultInterval : options.interval();
    Instant start = options.start();
    TreeSet<String> names = new TreeSet<>();
    for (String part : new String[] {"train", "test"}) {
      Path p = dir.resolve(part);
      if (Files.isDirectory(p)) {
        try (Stream<Path> files = Files.list(p)) {
          files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(ext))
              .map(f -> f.substring(0, f.length() - ext.length())).forEach(names::add);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    List<String> declaredNames = readMetricNames(dir.resolve("metric_names.txt"));
    List<EntitySeries> out = new ArrayList<>();
    for (String entity : names) {
      if (!options.entities().isEmpty() && !options.entities().contains(entity)) {
        continue;
      }
      Path train = dir.resolve("train").resolve(entity + ext);
      Path test = dir.resolve("test").resolve(entity + ext);
      long trainRows = Files.isRegularFile(train) ? countRows(train) : 0;
      Path first = Files.isRegularFile(train) ? train : test;
      int columns = countColumns(first);
      List<String> metricNames = declaredNames.isEmpty() ? generatedNames(columns) : declaredNames;
      if (metricNames.size() != columns) {
        throw new DatasetException(dir.resolve("metric_names.txt") + ": names " + metricNames.size()
            + " metrics but " + first + " has " + columns + " columns");
      }
      java.util.function.LongFunction<Instant> timeOf = seq -> start.plus(interval.multipliedBy(seq));
      List<Supplier<Iterator<Row>>> parts = new ArrayList<>();
      if (options.split() != Split.TEST && Files.isRegularFile(train)) {
        parts.add(() -> CsvRows.synthetic(train, dir.relativize(train).toString(), columns, 0, timeOf));
      }
      if (options.split() != Split.TRAIN && Files.isRegularFile(test)) {
        parts.add(() -> CsvRows.synthetic(test, dir.relativize(test).toString(), columns, trainRows, timeOf));
      }
      Map<Long, Boolean> labels = options.split() == Split.TRAIN ? Map.of()
          : readPointLabels(dir.resolve("test_label").resolve(entity + ext), trainRows);
      List<RootCause> causes = options.split() == Split.TRAIN ? List.of()
          : readRootCauses(dir.resolve("interpretation_label").resolve(entity + ".txt"), trainRows, metricNames);
      out.add(new EntitySeries(entity, metricNames, () -> new Concat<>(parts), labels, causes));
    }
    return out;
  }

  /** {@code metric_names.txt}: one name per line, optionally after its 1-based index; # comments. */
  static List<String> readMetricNames(Path file) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    List<String> lines = readLines(file);
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] parts = l.split("\\s+");
      String name = parts[parts.length - 1];
      if (parts.length > 2 || (parts.length == 2 && !parts[0].matches("\\d+"))) {
        throw DatasetException.at(file, i + 1, "expected 'NAME' or 'INDEX NAME', found '" + l + "'");
      }
      names.add(name);
    }
    return names;
  }

  private static List<String> generatedNames(int columns) {
    List<String> names = new ArrayList<>(columns);
    for (int i = 0; i < columns; i++) {
      names.add("m" + i);
    }
    return names;
  }

  private static Map<Long, Boolean> readPointLabels(Path file, long firstSequence) {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    Map<Long, Boolean> labels = new HashMap<>();
    List<String> lines = readLines(file);
    long seq = firstSequence;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty()) {
        continue;
      }
      switch (l) {
        case "0", "0.0" -> labels.put(seq++, false);
        case "1", "1.0" -> labels.put(seq++, true);
        default -> throw DatasetException.at(file, i + 1, "label must be 0 or 1, found '" + l + "'");
      }
    }
    return labels;
  }

  private static List<RootCause> readRootCauses(Path file, long offset, List<String> metricNames) {
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    List<RootCause> out = new ArrayList<>();
    List<String> lines = readLines(file);
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty()) {
        continue;
      }
      try {
        String[] rangeAndDims = l.split(":");
        String[] range = rangeAndDims[0].split("-");
        long s = Long.parseLong(range[0].strip());
        long e = Long.parseLong(range[1].strip());
        List<String> metrics = new ArrayList<>();
        for (String d : rangeAndDims[1].split(",")) {
          int idx = Integer.parseInt(d.strip());
          if (idx < 1 || idx > metricNames.size()) {
            throw DatasetException.at(file, i + 1, "metric index " + idx + " outside 1.." + metricNames.size());
          }
          metrics.add(metricNames.get(idx - 1));
        }
        out.add(new RootCause(offset + s, offset + e, metrics));
      } catch (RuntimeException e) {
        if (e instanceof DatasetException de) {
          throw de;
        }
        throw DatasetException.at(file, i + 1, "expected 'START-END:D1,D2,...', found '" + l + "'");
      }
    }
    return out;
  }

  private static long countRows(Path file) {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      return lines.filter(l -> !l.isBlank()).count();
    } catch (IOException | UncheckedIOException e) {
      throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static int countColumns(Path file) {
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      String first = lines.filter(l -> !l.isBlank()).findFirst()
          .orElseThrow(() -> new DatasetException(file + ": empty file"));
      return first.split(",", -1).length;
    } catch (IOException | UncheckedIOException e) {
      throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  // ---- NAB: timestamp,value CSVs + labels/combined_windows.json ----

  private static List<EntitySeries> openNab(Path dir, DatasetOptions options) {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(f -> f.toString().endsWith(".csv") && Files.isRegularFile(f))
          .filter(f -> !dir.relativize(f).startsWith("labels")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, List<Instant[]>> windows = readNabWindows(dir);
    Map<String, Long> stems = new HashMap<>();
    for (Path f : files) {
      stems.merge(stem(f), 1L, Long::sum);
    }
    List<EntitySeries> out = new ArrayList<>();
    for (Path f : files) {
      String entity = stems.get(stem(f)) > 1
          ? dir.relativize(f).toString().replace('\\', '/').replaceAll("\\.csv$", "").replace('/', '.')
          : stem(f);
      if (!options.entities().isEmpty() && !options.entities().contains(entity)) {
        continue;
      }
      List<String> header = nabHeader(f);
      List<String> metricNames = header.subList(1, header.size());
      long total = countRows(f) - 1;
      long trainRows = (long) Math.floor(total * NAB_TRAIN_SHARE);
      long from = options.split() == Split.TEST ? trainRows : 0;
      long to = options.split() == Split.TRAIN ? trainRows : total;
      String label = dir.relativize(f).toString();
      List<Instant[]> fileWindows = windows.get(f.getParent().getFileName() + "/" + f.getFileName());
      Map<Long, Boolean> labels = new HashMap<>();
      EntitySeries.RowSource rows = () -> new RangeIterator(
          CsvRows.timestamped(f, label, metricNames.size(), Dataset::parseNabTime), from, to);
      if (fileWindows != null) {
        Iterator<Row> it = rows.open();
        while (it.hasNext()) {
          Row r = it.next();
          boolean inWindow = false;
          for (Instant[] w : fileWindows) {
            if (!r.time().isBefore(w[0]) && !r.time().isAfter(w[1])) {
              inWindow = true;
              break;
            }
          }
          labels.put(r.sequence(), inWindow);
        }
      }
      out.add(new EntitySeries(entity, metricNames, rows, labels, List.of()));
    }
    out.sort(java.util.Comparator.comparing(EntitySeries::entity));
    return out;
  }

  private static String stem(Path f) {
    String n = f.getFileName().toString();
    return n.substring(0, n.length() - 4);
  }

  private static List<String> nabHeader(Path f) {
    try (Stream<String> lines = Files.lines(f, StandardCharsets.UTF_8)) {
      String first = lines.findFirst().orElseThrow(() -> new DatasetException(f + ": empty file"));
      List<String> cols = List.of(first.strip().split("\\s*,\\s*"));
      if (cols.size() < 2 || !cols.get(0).equalsIgnoreCase("timestamp")) {
        throw DatasetException.at(f, 1, "expected a header 'timestamp,<metric>[,...]', found '" + first + "'");
      }
      return cols;
    } catch (IOException | UncheckedIOException e) {
      throw new DatasetException(f + ": cannot read: " + e.getMessage(), e);
    }
  }

  static Instant parseNabTime(String text) {
    String t = text.strip();
    if (t.endsWith("Z")) {
      return Instant.parse(t);
    }
    return LocalDateTime.parse(t, NAB_TIME).toInstant(ZoneOffset.UTC);
  }

  /** How many directories above the data directory the NAB windows file is looked for. */
  public static final int NAB_WINDOWS_LEVELS = 3;

  /**
   * {@code labels/combined_windows.json} in {@code dir} or in one of its {@link #NAB_WINDOWS_LEVELS}
   * nearest ancestors (NAB's own layout keeps it two levels above a category's CSVs, e.g.
   * {@code nab/labels/} for {@code nab/data/realKnownCause/}), or null.
   */
  public static Path nabWindowsFile(Path dir) {
    Path d = dir.toAbsolutePath().normalize();
    for (int level = 0; d != null && level <= NAB_WINDOWS_LEVELS; level++, d = d.getParent()) {
      Path candidate = d.resolve("labels/combined_windows.json");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private static Map<String, List<Instant[]>> readNabWindows(Path dir) {
    Path file = nabWindowsFile(dir);
    if (file == null) {
      return Map.of();
    }
    Map<String, List<Instant[]>> out = new HashMap<>();
    try {
      JsonNode root = new ObjectMapper().readTree(file.toFile());
      var fields = root.fields();
      while (fields.hasNext()) {
        var e = fields.next();
        List<Instant[]> ws = new ArrayList<>();
        for (JsonNode w : e.getValue()) {
          ws.add(new Instant[] {parseNabTime(w.get(0).asText()), parseNabTime(w.get(1).asText())});
        }
        out.put(e.getKey(), ws);
      }
    } catch (IOException | RuntimeException e) {
      throw new DatasetException(file + ": not a NAB windows file: " + e.getMessage(), e);
    }
    return out;
  }

  /** Rows whose sequence is in [from, to). */
  private static final class RangeIterator implements Iterator<Row> {
    private final Iterator<Row> in;
    private final long from;
    private final long to;
    private Row next;

    RangeIterator(Iterator<Row> in, long from, long to) {
      this.in = in;
      this.from = from;
      this.to = to;
    }

    @Override
    public boolean hasNext() {
      while (next == null && in.hasNext()) {
        Row r = in.next();
        if (r.sequence() >= to) {
          return false;
        }
        if (r.sequence() >= from) {
          next = r;
        }
      }
      return next != null;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      Row r = next;
      next = null;
      return r;
    }
  }
}
