package minitron4j.tornado;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * The cos and sin tables of {@link ElementwiseKernels#rope}, [maxPos, rotary/2], computed on the
 * host exactly as {@link minitron4j.kernels.Rope} does (HF's fp32 recipe) and sent to the device once.
 */
public record RopeTables(FloatArray cos, FloatArray sin, int half) {
    public RopeTables(int rotaryDim, double theta, int maxPositions) {
        this(new FloatArray(maxPositions * (rotaryDim / 2)), new FloatArray(maxPositions * (rotaryDim / 2)), rotaryDim / 2);
        for (int j = 0; j < half; j++) {
            float exponent = (float) (2 * j) / rotaryDim;
            float invFreq = (float) (1.0 / Math.pow(theta, exponent));
            for (int p = 0; p < maxPositions; p++) {
                float angle = p * invFreq;
                cos.set(p * half + j, (float) Math.cos(angle));
                sin.set(p * half + j, (float) Math.sin(angle));
            }
        }
    }
}
