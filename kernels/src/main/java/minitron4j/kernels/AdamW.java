package minitron4j.kernels;

/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW computes it:
 * p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 */
public final class AdamW {
    private AdamW() {}

    /** One update of param[n] from grad[n], with moment buffers m[n], v[n]; step t counts from 1. */
    public static void update(float[] param, float[] grad, float[] m, float[] v, int n, int step,
                              float lr, float beta1, float beta2, float eps, float weightDecay) {
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = 1f - lr * weightDecay;
        Parallel.forRange(n, 8192, (s, e) -> {
            for (int i = s; i < e; i++) {
                float g = grad[i];
                float mi = beta1 * m[i] + (1 - beta1) * g;
                float vi = beta2 * v[i] + (1 - beta2) * g * g;
                m[i] = mi;
                v[i] = vi;
                param[i] = param[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + eps);
            }
        });
    }
}
