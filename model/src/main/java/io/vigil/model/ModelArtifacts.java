package io.vigil.model;

import static java.util.Objects.requireNonNull;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.ParameterList;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The Vigil model artifact: a directory holding
 *
 * <ul>
 *   <li>{@code model.json} — the {@link ModelSpec} (format version, architecture, input features
 *       and feature-set version, outputs, score scale and threshold), and
 *   <li>{@code model-0000.params} — the DJL parameters of the block {@link Blocks#build} makes
 *       from that spec.
 * </ul>
 *
 * This is what training writes, the registry stores (and checksums) and serving loads.
 */
public final class ModelArtifacts {

  public static final String SPEC_FILE = "model.json";
  /** DJL model name, hence the parameter file prefix ({@code model-0000.params}). */
  public static final String PARAMS_PREFIX = "model";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private ModelArtifacts() {}

  /**
   * A new model with freshly initialised weights (drawn after seeding the engine with {@code
   * spec.seed()}), ready to train or to save.
   */
  public static ModelArtifact create(ModelSpec spec) {
    requireNonNull(spec, "spec");
    DjlRuntime.applyCpuDefaults();
    Engine.getEngine(DjlRuntime.ENGINE).setRandomSeed((int) spec.seed());
    Model model = Model.newInstance(PARAMS_PREFIX, DjlRuntime.ENGINE);
    try {
      model.setBlock(Blocks.build(spec));
      model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32,
          new Shape(1, spec.inputSize()));
      return new ModelArtifact(spec, model);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** Writes {@code model.json} and the parameters into {@code dir} (created if missing). */
  public static void save(ModelArtifact artifact, Path dir) {
    try {
      Files.createDirectories(dir);
      JSON.writeValue(dir.resolve(SPEC_FILE).toFile(), artifact.spec());
      artifact.model().save(dir, PARAMS_PREFIX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the model to " + dir, e);
    }
  }

  /** Reads and validates {@code model.json}. */
  public static ModelSpec readSpec(Path dir) {
    Path file = dir.resolve(SPEC_FILE);
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException("no " + SPEC_FILE + " in " + dir);
    }
    try {
      return JSON.readValue(file.toFile(), ModelSpec.class);
    } catch (IOException e) {
      Throwable c = e.getCause() instanceof ModelFormatException mf ? mf : e;
      throw new ModelFormatException(file + " is not a valid model spec: " + c.getMessage(), e);
    }
  }

  /**
   * Loads a saved model: reads the spec, rebuilds the block and loads the parameters into it.
   * Fails with {@link ModelFormatException} when anything does not fit.
   */
  public static ModelArtifact load(Path dir) {
    ModelSpec spec = readSpec(dir);
    List<Path> params = paramFiles(dir);
    if (params.size() != 1) {
      throw new ModelFormatException("expected one " + PARAMS_PREFIX + "-NNNN.params file in " + dir
          + ", found " + params.size());
    }
    DjlRuntime.applyCpuDefaults();
    Model model = Model.newInstance(PARAMS_PREFIX, DjlRuntime.ENGINE);
    try {
      model.setBlock(Blocks.build(spec));
      model.load(dir, PARAMS_PREFIX);
      // DJL returns quietly, with the block left uninitialised, when the file's magic is wrong.
      if (!model.getBlock().isInitialized()) {
        throw new ModelFormatException("the parameter file is not DJL parameters");
      }
      requireShapesOfSpec(spec, model);
      return new ModelArtifact(spec, model);
    } catch (ModelFormatException e) {
      model.close();
      throw new ModelFormatException("cannot load the parameters in " + dir + ": " + e.getMessage(), e);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw new ModelFormatException("cannot load the parameters in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Every parameter has the shape the spec's block has: a file of another architecture is refused. */
  private static void requireShapesOfSpec(ModelSpec spec, Model loaded) {
    try (NDManager scratch = NDManager.newBaseManager(DjlRuntime.ENGINE)) {
      Block reference = Blocks.build(spec);
      reference.initialize(scratch, DataType.FLOAT32, new Shape(1, spec.inputSize()));
      ParameterList expected = reference.getParameters();
      ParameterList actual = loaded.getBlock().getParameters();
      if (expected.size() != actual.size()) {
        throw new ModelFormatException("the parameters do not belong to this architecture");
      }
      for (int i = 0; i < expected.size(); i++) {
        Shape e = expected.valueAt(i).getArray().getShape();
        Shape a = actual.valueAt(i).getArray().getShape();
        if (!e.equals(a)) {
          throw new ModelFormatException("parameter " + actual.keyAt(i) + " has shape " + a
              + ", the architecture in model.json needs " + e);
        }
      }
    }
  }

  private static List<Path> paramFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith(PARAMS_PREFIX + "-") && n.endsWith(".params");
      }).toList();
    } catch (IOException e) {
      throw new ModelFormatException("cannot list " + dir, e);
    }
  }
}
