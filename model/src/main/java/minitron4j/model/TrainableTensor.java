package minitron4j.model;

import java.util.Arrays;

/**
 * A tensor trained beside a model's parameters (distillation's learned projections) with the
 * gradient buffer its loss accumulates into. Training zeroes, clips, updates, checks and
 * checkpoints it exactly as it does the model's parameters.
 */
public record TrainableTensor(Tensor value, Tensor gradient) {
    public TrainableTensor {
        if (!value.name().equals(gradient.name()) || !Arrays.equals(value.shape(), gradient.shape()))
            throw new IllegalArgumentException("gradient " + gradient.name() + " " + gradient.shapeString()
                    + " does not mirror tensor " + value.name() + " " + value.shapeString());
    }

    /** A tensor and a zero gradient of the same name and shape. */
    public static TrainableTensor of(Tensor value) {
        return new TrainableTensor(value, Tensor.zeros(value.name(), value.shape()));
    }

    public String name() {
        return value.name();
    }
}
