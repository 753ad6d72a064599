package minitron4j.tornado;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/** The per-step scalars of {@link OptimizerKernels#adamW}, in the layout its indices name. */
public final class AdamWScalars {
    private AdamWScalars() {}

    public static FloatArray of(float lr, float beta1, float beta2, float eps, float weightDecay, float maxNorm, int step) {
        FloatArray s = new FloatArray(OptimizerKernels.SETTINGS);
        write(s, lr, beta1, beta2, eps, weightDecay, maxNorm, step);
        return s;
    }

    /**
     * Writes step t's values (t counts from 1), with the bias corrections as torch computes them;
     * maxNorm is the gradient clipping norm (0 = off).
     */
    public static void write(FloatArray s, float lr, float beta1, float beta2, float eps, float weightDecay, float maxNorm,
                             int step) {
        s.set(OptimizerKernels.MAX_NORM, maxNorm);
        s.set(OptimizerKernels.LR, lr);
        s.set(OptimizerKernels.BETA1, beta1);
        s.set(OptimizerKernels.BETA2, beta2);
        s.set(OptimizerKernels.EPS, eps);
        s.set(OptimizerKernels.WEIGHT_DECAY, weightDecay);
        s.set(OptimizerKernels.STEP_SIZE, (float) (lr / (1 - Math.pow(beta1, step))));
        s.set(OptimizerKernels.BC2_SQRT, (float) Math.sqrt(1 - Math.pow(beta2, step)));
    }
}
