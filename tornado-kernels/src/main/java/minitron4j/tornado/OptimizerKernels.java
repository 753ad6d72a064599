package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * What a training step does with the gradients on the device: their global L2 norm and whether it
 * is finite (what the trainer logs and guards on), and AdamW (twin of {@link minitron4j.kernels.AdamW}).
 */
public final class OptimizerKernels {
    /** Work-groups per tensor in the first task of the norm; partials holds GROUPS per tensor. */
    public static final int GROUPS = 64;

    /** Indices into the AdamW settings array, written by the host before each step. */
    public static final int LR = 0, BETA1 = 1, BETA2 = 2, EPS = 3, WEIGHT_DECAY = 4, STEP_SIZE = 5, BC2_SQRT = 6,
            MAX_NORM = 7, SETTINGS = 8;

    private OptimizerKernels() {}

    /**
     * First task of the norm: partials[slot * GROUPS + group] = the sum of g^2 over the elements
     * group, group + GROUPS, ... (in blocks of {@link Launch#GROUP}). Launch: GROUPS work-groups.
     */
    public static void sumOfSquaresPartials(KernelContext ctx, FloatArray g, FloatArray partials, int n, int slot) {
        int lid = ctx.localIdx, group = ctx.groupIdx;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        float s = 0f;
        for (int i = group * Launch.GROUP + lid; i < n; i += GROUPS * Launch.GROUP) {
            float x = g.get(i);
            s += x * x;
        }
        red[lid] = s;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) partials.set(slot * GROUPS + group, red[0]);
    }

    /**
     * Second task: result = [sqrt(sum of partials), 1 if that norm is finite else 0]. A NaN or an
     * infinity in any gradient makes the sum non-finite. One work-group.
     */
    public static void normCombine(KernelContext ctx, FloatArray partials, FloatArray result, int count) {
        int lid = ctx.localIdx;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        float s = 0f;
        for (int i = lid; i < count; i += Launch.GROUP) s += partials.get(i);
        red[lid] = s;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) {
            float norm = TornadoMath.sqrt(red[0]);
            result.set(0, norm);
            result.set(1, norm == norm && norm <= 3.4028235e38f ? 1f : 0f);
        }
    }

    /**
     * One AdamW update of param[n] from grad[n] with moments m[n], v[n]; settings as indexed above
     * (step size lr / (1 - beta1^t) and sqrt(1 - beta2^t) precomputed by the host); decays = 1
     * applies the weight decay. The gradient is first clipped as torch's clip_grad_norm_ does: times
     * MAX_NORM / (norm + 1e-6) when that is below 1, the norm being stats[0] from {@link #normCombine}
     * (MAX_NORM 0 turns clipping off). One thread per element.
     */
    public static void adamW(KernelContext ctx, FloatArray param, FloatArray grad, FloatArray m, FloatArray v,
                             FloatArray settings, FloatArray stats, int n, int decays) {
        int i = ctx.globalIdx;
        if (i < n) {
            float beta1 = settings.get(BETA1), beta2 = settings.get(BETA2), maxNorm = settings.get(MAX_NORM), norm = stats.get(0);
            float coef = 1f;
            if (maxNorm > 0f && norm <= 3.4028235e38f) coef = TornadoMath.min(1f, maxNorm / (norm + 1e-6f));
            float decay = decays == 1 ? 1f - settings.get(LR) * settings.get(WEIGHT_DECAY) : 1f;
            float g = grad.get(i) * coef;
            float mi = beta1 * m.get(i) + (1 - beta1) * g;
            float vi = beta2 * v.get(i) + (1 - beta2) * g * g;
            m.set(i, mi);
            v.set(i, vi);
            param.set(i, param.get(i) * decay
                    - settings.get(STEP_SIZE) * mi / (TornadoMath.sqrt(vi) / settings.get(BC2_SQRT) + settings.get(EPS)));
        }
    }
}
