package io.vigil.schemas.wire;

import io.vigil.schemas.VigilRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The schemas of every released version, kept as resources under {@code
 * io/vigil/schemas/history/vN/}, listed in {@code io/vigil/schemas/history/versions.txt}.
 *
 * <p>Evolution rule: the current schema of every record must be able to read data written with
 * any released schema (backward compatibility, Avro resolution rules). Adding a field needs a
 * default; removing a field is allowed; renaming needs an alias; enum symbols need a default
 * symbol before they can be removed. {@link #check(Schema, Schema)} is the test; releasing a new
 * version means copying {@code src/main/avro} into a new {@code vN} folder.
 */
public final class SchemaHistory {

  private static final String ROOT = "/io/vigil/schemas/history/";
  private static final Map<String, Map<String, Schema>> RELEASES = load();

  private SchemaHistory() {}

  /** Released version names, oldest first. */
  public static List<String> versions() {
    return List.copyOf(RELEASES.keySet());
  }

  /** The schema of record {@code fullName} in released version {@code version}, if it existed. */
  public static Schema released(String version, String fullName) {
    Map<String, Schema> release = RELEASES.get(version);
    return release == null ? null : release.get(fullName);
  }

  /** Every released schema of record {@code fullName}, oldest first. */
  public static List<Schema> released(String fullName) {
    List<Schema> out = new ArrayList<>();
    for (Map<String, Schema> release : RELEASES.values()) {
      Schema s = release.get(fullName);
      if (s != null) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Checks that a reader with schema {@code reader} can read everything written with {@code
   * writer}. Returns an empty list when compatible, else one message per incompatibility.
   */
  public static List<String> check(Schema reader, Schema writer) {
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    List<String> problems = new ArrayList<>();
    if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      for (SchemaCompatibility.Incompatibility i : result.getResult().getIncompatibilities()) {
        problems.add(
            writer.getName() + " " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage());
      }
    }
    return problems;
  }

  /** Checks every current record schema against every released one; empty when all is well. */
  public static List<String> checkCurrentAgainstReleases() {
    List<String> problems = new ArrayList<>();
    for (Class<? extends SpecificRecordBase> type : VigilRecords.ALL) {
      Schema current = VigilRecords.schemaOf(type);
      for (Map.Entry<String, Map<String, Schema>> release : RELEASES.entrySet()) {
        Schema old = release.getValue().get(current.getFullName());
        if (old != null) {
          for (String p : check(current, old)) {
            problems.add(release.getKey() + ": " + p);
          }
        }
      }
    }
    return problems;
  }

  private static Map<String, Map<String, Schema>> load() {
    Map<String, Map<String, Schema>> releases = new LinkedHashMap<>();
    for (String version : readLines(ROOT + "versions.txt")) {
      Schema.Parser parser = new Schema.Parser();
      Map<String, Schema> schemas = new LinkedHashMap<>();
      for (Class<? extends SpecificRecordBase> type : VigilRecords.ALL) {
        String text = readResource(ROOT + version + "/" + type.getSimpleName() + ".avsc");
        if (text != null) {
          Schema s = parser.parse(text);
          schemas.put(s.getFullName(), s);
        }
      }
      releases.put(version, Map.copyOf(schemas));
    }
    return releases;
  }

  private static List<String> readLines(String resource) {
    String text = readResource(resource);
    if (text == null) {
      return List.of();
    }
    return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  private static String readResource(String resource) {
    try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
