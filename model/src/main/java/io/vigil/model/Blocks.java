package io.vigil.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/**
 * Turns a {@link ModelSpec.Architecture} into a DJL {@link Block}. Loading saved parameters needs
 * the very same block structure, so this is the only place blocks are built: training and serving
 * both go through it.
 */
public final class Blocks {

  private Blocks() {}

  /**
   * AUTOENCODER: input → hidden... (ReLU after each) → Linear(input size). MLP: input → hidden...
   * (ReLU after each) → Linear(1).
   */
  public static Block build(ModelSpec spec) {
    SequentialBlock block = new SequentialBlock();
    for (int h : spec.architecture().hiddenSizes()) {
      block.add(Linear.builder().setUnits(h).build());
      block.add(Activation.reluBlock());
    }
    long outUnits = switch (spec.architecture().kind()) {
      case AUTOENCODER -> spec.inputSize();
      case MLP -> 1;
    };
    block.add(Linear.builder().setUnits(outUnits).build());
    return block;
  }
}
