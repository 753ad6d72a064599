package minitron4j.kernels;

/** Nemotron's MLP activation relu(x)^2; d/dx = 2 relu(x). */
public final class SquaredRelu {
    private SquaredRelu() {}

    /** out[n] = relu(x[n])^2. */
    public static void forward(float[] out, float[] x, int n) {
        Parallel.forRange(n, 4096, (s, e) -> {
            for (int i = s; i < e; i++) {
                float r = Math.max(x[i], 0f);
                out[i] = r * r;
            }
        });
    }

    /** dx[n] = dout[n] * 2 relu(x[n]) (overwrites dx; dx may alias dout). */
    public static void backward(float[] dx, float[] dout, float[] x, int n) {
        Parallel.forRange(n, 4096, (s, e) -> {
            for (int i = s; i < e; i++) dx[i] = dout[i] * 2f * Math.max(x[i], 0f);
        });
    }
}
