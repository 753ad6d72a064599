package minitron4j.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The losses over the vocabulary and their gradients with respect to the logits: HF's next-token
 * cross-entropy (twin of {@link minitron4j.kernels.CrossEntropy}) and the forward KL at
 * temperature tau times tau^2 (twin of {@link minitron4j.kernels.KlDivergence}). Each takes three
 * tasks: per-row log-sum-exps and losses (one work-group per row), the mean over counted rows (one
 * work-group), then the gradient (one thread per logit), which needs the count from the second.
 * {@code result} holds [loss, gradient scale]; {@code settings} holds [tau, weight], the weight
 * scaling the gradient (1/gradient-accumulation steps) but not the loss.
 */
public final class LossKernels {
    /** HF's ignore label. */
    public static final int IGNORE = -100;

    private LossKernels() {}

    /** targets[b,t] = ids[b,t+1] while t+1 is a real token of row b, else IGNORE. One thread per token. */
    public static void nextTokenTargets(KernelContext ctx, IntArray ids, IntArray lengths, IntArray targets,
                                        int batch, int seq) {
        int i = ctx.globalIdx;
        if (i < batch * seq) {
            int b = i / seq, t = i % seq;
            targets.set(i, t + 1 < lengths.get(b) ? ids.get(i + 1) : IGNORE);
        }
    }

    /** rowLse[N] = log sum exp(logits[n,:]); rowLoss[N] = rowLse - logits[n, target] (0 if ignored). */
    public static void crossEntropyRows(KernelContext ctx, FloatArray logits, IntArray targets,
                                        FloatArray rowLse, FloatArray rowLoss, int vocab) {
        int row = ctx.groupIdx, lid = ctx.localIdx, off = row * vocab;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP);
        float max = -3.4e38f;
        for (int j = lid; j < vocab; j += Launch.GROUP) max = TornadoMath.max(max, logits.get(off + j));
        red[lid] = max;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
        }
        ctx.localBarrier();
        float m = red[0];
        ctx.localBarrier();
        float s = 0f;
        for (int j = lid; j < vocab; j += Launch.GROUP) s += TornadoMath.exp(logits.get(off + j) - m);
        red[lid] = s;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) red[lid] += red[lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) {
            float lse = m + TornadoMath.log(red[0]);
            int target = targets.get(row);
            rowLse.set(row, lse);
            rowLoss.set(row, target == IGNORE ? 0f : lse - logits.get(off + target));
        }
    }

    /** Indices into the loss settings. */
    public static final int TAU = 0, WEIGHT = 1, SETTINGS = 2;

    /** result = [mean of rowLoss over counted rows, weight / count] (0 and 0 when nothing counts). One work-group. */
    public static void crossEntropyMean(KernelContext ctx, IntArray targets, FloatArray rowLoss, FloatArray settings,
                                        FloatArray result, int n) {
        int lid = ctx.localIdx;
        float[] sum = ctx.allocateFloatLocalArray(Launch.GROUP);
        float[] count = ctx.allocateFloatLocalArray(Launch.GROUP);
        float s = 0f, c = 0f;
        for (int i = lid; i < n; i += Launch.GROUP) {
            if (targets.get(i) != IGNORE) {
                s += rowLoss.get(i);
                c += 1f;
            }
        }
        sum[lid] = s;
        count[lid] = c;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                sum[lid] += sum[lid + stride];
                count[lid] += count[lid + stride];
            }
        }
        ctx.localBarrier();
        if (lid == 0) {
            float total = count[0];
            result.set(0, total == 0f ? 0f : sum[0] / total);
            result.set(1, total == 0f ? 0f : settings.get(WEIGHT) / total);
        }
    }

    /** dlogits[N,V] = (softmax - onehot(target)) * result[1]; ignored rows 0. dlogits may be logits. */
    public static void crossEntropyGradient(KernelContext ctx, FloatArray logits, IntArray targets, FloatArray rowLse,
                                            FloatArray result, FloatArray dlogits, int n, int vocab) {
        int id = ctx.globalIdx;
        if (id < n * vocab) {
            int row = id / vocab, j = id % vocab, target = targets.get(row);
            float g = 0f;
            if (target != IGNORE) {
                float scale = result.get(1);
                g = TornadoMath.exp(logits.get(id) - rowLse.get(row)) * scale;
                if (j == target) g -= scale;
            }
            dlogits.set(id, g);
        }
    }

    /**
     * Per real row (t < lengths[b]): lseS, lseT = log sum exp of student/tau and teacher/tau, and
     * rowLoss = KL(softmax(t/tau) || softmax(s/tau)); padded rows get 0. tau = settings[TAU].
     * One work-group per row.
     */
    public static void klRows(KernelContext ctx, FloatArray student, FloatArray teacher, IntArray lengths,
                              FloatArray settings, FloatArray rowLseS, FloatArray rowLseT, FloatArray rowLoss,
                              int seq, int vocab) {
        int row = ctx.groupIdx, lid = ctx.localIdx, off = row * vocab;
        float[] redS = ctx.allocateFloatLocalArray(Launch.GROUP);
        float[] redT = ctx.allocateFloatLocalArray(Launch.GROUP);
        float invTau = 1f / settings.get(TAU);
        float ms = -3.4e38f, mt = -3.4e38f;
        for (int j = lid; j < vocab; j += Launch.GROUP) {
            ms = TornadoMath.max(ms, student.get(off + j) * invTau);
            mt = TornadoMath.max(mt, teacher.get(off + j) * invTau);
        }
        redS[lid] = ms;
        redT[lid] = mt;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                redS[lid] = TornadoMath.max(redS[lid], redS[lid + stride]);
                redT[lid] = TornadoMath.max(redT[lid], redT[lid + stride]);
            }
        }
        ctx.localBarrier();
        ms = redS[0];
        mt = redT[0];
        ctx.localBarrier();
        float ss = 0f, st = 0f;
        for (int j = lid; j < vocab; j += Launch.GROUP) {
            ss += TornadoMath.exp(student.get(off + j) * invTau - ms);
            st += TornadoMath.exp(teacher.get(off + j) * invTau - mt);
        }
        redS[lid] = ss;
        redT[lid] = st;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                redS[lid] += redS[lid + stride];
                redT[lid] += redT[lid + stride];
            }
        }
        ctx.localBarrier();
        float lseS = ms + TornadoMath.log(redS[0]), lseT = mt + TornadoMath.log(redT[0]);
        ctx.localBarrier();
        float kl = 0f;
        for (int j = lid; j < vocab; j += Launch.GROUP) {
            float lt = teacher.get(off + j) * invTau - lseT;
            float ls = student.get(off + j) * invTau - lseS;
            kl += TornadoMath.exp(lt) * (lt - ls);
        }
        redS[lid] = kl;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) redS[lid] += redS[lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) {
            boolean real = row % seq < lengths.get(row / seq);
            rowLseS.set(row, lseS);
            rowLseT.set(row, lseT);
            rowLoss.set(row, real ? redS[0] : 0f);
        }
    }

    /** result = [tau^2 * mean of rowLoss over real rows, weight * tau / count]. One work-group. */
    public static void klMean(KernelContext ctx, IntArray lengths, FloatArray rowLoss, FloatArray settings,
                              FloatArray result, int batch, int seq) {
        int lid = ctx.localIdx, n = batch * seq;
        float[] sum = ctx.allocateFloatLocalArray(Launch.GROUP);
        float[] count = ctx.allocateFloatLocalArray(Launch.GROUP);
        float s = 0f, c = 0f;
        for (int i = lid; i < n; i += Launch.GROUP) {
            if (i % seq < lengths.get(i / seq)) {
                s += rowLoss.get(i);
                c += 1f;
            }
        }
        sum[lid] = s;
        count[lid] = c;
        for (int stride = Launch.GROUP / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                sum[lid] += sum[lid + stride];
                count[lid] += count[lid + stride];
            }
        }
        ctx.localBarrier();
        if (lid == 0) {
            float tau = settings.get(TAU), total = count[0];
            result.set(0, total == 0f ? 0f : sum[0] / total * tau * tau);
            result.set(1, total == 0f ? 0f : settings.get(WEIGHT) * tau / total);
        }
    }

    /** dstudent[N,V] = (softmax(s/tau) - softmax(t/tau)) * result[1]; padded rows 0. dstudent may be student. */
    public static void klGradient(KernelContext ctx, FloatArray student, FloatArray teacher, IntArray lengths,
                                  FloatArray settings, FloatArray rowLseS, FloatArray rowLseT, FloatArray result,
                                  FloatArray dstudent, int seq, int vocab, int n) {
        int id = ctx.globalIdx;
        if (id < n * vocab) {
            int row = id / vocab;
            float g = 0f;
            if (row % seq < lengths.get(row / seq)) {
                float invTau = 1f / settings.get(TAU);
                g = (TornadoMath.exp(student.get(id) * invTau - rowLseS.get(row))
                        - TornadoMath.exp(teacher.get(id) * invTau - rowLseT.get(row))) * result.get(1);
            }
            dstudent.set(id, g);
        }
    }
}
