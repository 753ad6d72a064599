package minitron4j.tornado;

import minitron4j.model.loss.LogitLossKind;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The losses over the vocabulary and their gradients with respect to the logits: HF's next-token
 * cross-entropy (twin of {@link minitron4j.kernels.CrossEntropy}) and a distillation's loss, every
 * logit loss kind plus a CE term (twin of {@link minitron4j.model.loss.DistillationLoss}). Each
 * takes three tasks: per-row statistics and losses (one work-group per row), the means over
 * counted rows (one work-group), then the gradient (one thread per logit), which needs the counts
 * from the second. The intermediate-state loss works on hidden states the same way: cosine rows,
 * a mean (one thread: pairs x rows additions, small beside the rows), then d state. Top-k finds
 * its k tokens in k passes over the row's vocabulary (O(k V), fine for the k of a distillation). The CE's {@code result} holds [loss, gradient scale]; {@code settings} holds
 * [tau, weight, kind, k, ce weight], the weight scaling the gradient (1/gradient-accumulation
 * steps) but not the loss.
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

    /**
     * Indices into the loss settings: tau, the micro-batch's weight, and a distillation's logit loss
     * kind ({@link #code}), top-k's k and the CE weight.
     */
    public static final int TAU = 0, WEIGHT = 1, KIND = 2, TOP_K_SETTING = 3, CE_WEIGHT = 4, SETTINGS = 5;

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

    /** Indices into a distillation's row statistics, STATS per row (see {@link #distillationRows}). */
    public static final int ROW_A = 0, ROW_B = 1, ROW_C = 2, ROW_D = 3, ROW_LSE = 4, ROW_LOGIT = 5, ROW_CE = 6, STATS = 7;
    /** Indices into a distillation's result: the objective, the logit loss, the CE, and their gradient scales. */
    public static final int OBJECTIVE = 0, LOGIT_LOSS = 1, CE_LOSS = 2, LOGIT_SCALE = 3, CE_SCALE = 4, RESULTS = 5;
    /** The logit loss kinds as the kernels read them from the settings ({@link #code}). */
    public static final int FORWARD_KL = 0, REVERSE_KL = 1, MSE = 2, COSINE = 3, TOP_K = 4;

    /** The settings' code of a kind (a switch, so that reordering the enum cannot swap kinds on the device). */
    public static int code(LogitLossKind kind) {
        return switch (kind) {
            case FORWARD_KL -> FORWARD_KL;
            case REVERSE_KL -> REVERSE_KL;
            case MSE -> MSE;
            case COSINE -> COSINE;
            case TOP_K -> TOP_K;
        };
    }
    // reductions of the first pass over a row
    private static final int SUM_S = 0, SUM_S_TAU = 1, SUM_T_TAU = 2, SUM_SS = 3, SUM_TT = 4, SUM_ST = 5, SUM_SQ_DIFF = 6, SUMS = 7;

    /**
     * One work-group per row: the scalars the logit loss of kind settings[KIND] and the CE need,
     * into rowStats[row * STATS ..]: ROW_LSE = log sum exp(s) and ROW_CE = the CE at the target (0
     * when ignored), ROW_LOGIT = the row's logit loss (before tau^2 and the mean; 0 for padded rows),
     * and per kind in ROW_A..ROW_D: the KL kinds lseS, lseT at tau (and the KL in ROW_C, which the
     * reverse KL's gradient needs); cosine |s|^2, |t|^2 and s.t; top-k lseS, the log-sum-exp at tau
     * over the kept tokens, and the last kept token's teacher logit and index (tokens rank by logit,
     * then by lower index). Twin of {@link minitron4j.model.loss.DistillationLoss}, in float.
     */
    public static void distillationRows(KernelContext ctx, FloatArray student, FloatArray teacher, IntArray lengths, IntArray targets,
                                        FloatArray settings, FloatArray rowStats, int seq, int vocab) {
        int row = ctx.groupIdx, lid = ctx.localIdx, off = row * vocab, G = Launch.GROUP;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP * SUMS);
        int[] redIndex = ctx.allocateIntLocalArray(Launch.GROUP);
        float invTau = 1f / settings.get(TAU);
        int kind = (int) settings.get(KIND);
        float ms = -3.4e38f, mt = -3.4e38f;
        for (int j = lid; j < vocab; j += G) {
            ms = TornadoMath.max(ms, student.get(off + j));
            mt = TornadoMath.max(mt, teacher.get(off + j));
        }
        red[lid] = ms;
        red[G + lid] = mt;
        for (int stride = G / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) {
                red[lid] = TornadoMath.max(red[lid], red[lid + stride]);
                red[G + lid] = TornadoMath.max(red[G + lid], red[G + lid + stride]);
            }
        }
        ctx.localBarrier();
        ms = red[0];
        mt = red[G];
        ctx.localBarrier();
        float sumS = 0f, sumSTau = 0f, sumTTau = 0f, ss = 0f, tt = 0f, st = 0f, sqDiff = 0f;
        for (int j = lid; j < vocab; j += G) {
            float a = student.get(off + j), b = teacher.get(off + j);
            sumS += TornadoMath.exp(a - ms);
            sumSTau += TornadoMath.exp((a - ms) * invTau);
            sumTTau += TornadoMath.exp((b - mt) * invTau);
            ss += a * a;
            tt += b * b;
            st += a * b;
            sqDiff += (a - b) * (a - b);
        }
        red[SUM_S * G + lid] = sumS;
        red[SUM_S_TAU * G + lid] = sumSTau;
        red[SUM_T_TAU * G + lid] = sumTTau;
        red[SUM_SS * G + lid] = ss;
        red[SUM_TT * G + lid] = tt;
        red[SUM_ST * G + lid] = st;
        red[SUM_SQ_DIFF * G + lid] = sqDiff;
        for (int stride = G / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) for (int q = 0; q < SUMS; q++) red[q * G + lid] += red[q * G + lid + stride];
        }
        ctx.localBarrier();
        float lse = ms + TornadoMath.log(red[SUM_S * G]);
        float lseS = ms * invTau + TornadoMath.log(red[SUM_S_TAU * G]);
        float lseT = mt * invTau + TornadoMath.log(red[SUM_T_TAU * G]);
        ss = red[SUM_SS * G];
        tt = red[SUM_TT * G];
        st = red[SUM_ST * G];
        sqDiff = red[SUM_SQ_DIFF * G];
        ctx.localBarrier();
        // the kept tokens of top-k: k rounds, each finding the best token ranked below the last one found
        float lastValue = 3.4e38f, lseK = 0f;
        int lastIndex = -1;
        if (kind == TOP_K) {
            int k = (int) TornadoMath.min(settings.get(TOP_K_SETTING), vocab);
            for (int round = 0; round < k; round++) {
                float bestValue = -3.4e38f;
                int bestIndex = vocab;
                for (int j = lid; j < vocab; j += G) {
                    float b = teacher.get(off + j);
                    // nested ifs, not a boolean local: TornadoVM 5.2's OpenCL code generator negates
                    // a compound condition kept in a local (b == last && j > i became b != last && i >= j)
                    if (b < lastValue || (b == lastValue && j > lastIndex)) {
                        if (b > bestValue || (b == bestValue && j < bestIndex)) {
                            bestValue = b;
                            bestIndex = j;
                        }
                    }
                }
                red[lid] = bestValue;
                redIndex[lid] = bestIndex;
                for (int stride = G / 2; stride > 0; stride /= 2) {
                    ctx.localBarrier();
                    if (lid < stride) {
                        float v2 = red[lid + stride];
                        int i2 = redIndex[lid + stride];
                        if (v2 > red[lid] || (v2 == red[lid] && i2 < redIndex[lid])) {
                            red[lid] = v2;
                            redIndex[lid] = i2;
                        }
                    }
                }
                ctx.localBarrier();
                lastValue = red[0];
                lastIndex = redIndex[0];
                ctx.localBarrier();
            }
            float sumK = 0f;
            for (int j = lid; j < vocab; j += G) {
                float b = teacher.get(off + j);
                if (b > lastValue || (b == lastValue && j <= lastIndex)) sumK += TornadoMath.exp((b - mt) * invTau);
            }
            red[lid] = sumK;
            for (int stride = G / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) red[lid] += red[lid + stride];
            }
            ctx.localBarrier();
            lseK = mt * invTau + TornadoMath.log(red[0]);
            ctx.localBarrier();
        }
        // second pass: the KL of the KL kinds, from the log-sum-exps
        float kl = 0f;
        if (kind == FORWARD_KL || kind == REVERSE_KL || kind == TOP_K) {
            for (int j = lid; j < vocab; j += G) {
                float ls = student.get(off + j) * invTau - lseS;
                float b = teacher.get(off + j);
                if (kind == FORWARD_KL) {
                    float lt = b * invTau - lseT;
                    kl += TornadoMath.exp(lt) * (lt - ls);
                } else if (kind == REVERSE_KL) {
                    float lt = b * invTau - lseT;
                    kl += TornadoMath.exp(ls) * (ls - lt);
                } else if (b > lastValue || (b == lastValue && j <= lastIndex)) {
                    float lr = b * invTau - lseK;
                    kl += TornadoMath.exp(lr) * (lr - ls);
                }
            }
            red[lid] = kl;
            for (int stride = G / 2; stride > 0; stride /= 2) {
                ctx.localBarrier();
                if (lid < stride) red[lid] += red[lid + stride];
            }
            ctx.localBarrier();
            kl = red[0];
        }
        if (lid == 0) {
            int at = row * STATS;
            boolean real = row % seq < lengths.get(row / seq);
            float logit = kl;
            if (kind == MSE) logit = sqDiff / vocab;
            if (kind == COSINE) logit = 1f - (ss == 0f || tt == 0f ? 0f : st / TornadoMath.sqrt(ss * tt));
            rowStats.set(at + ROW_A, kind == COSINE ? ss : lseS);
            rowStats.set(at + ROW_B, kind == COSINE ? tt : kind == TOP_K ? lseK : lseT);
            rowStats.set(at + ROW_C, kind == COSINE ? st : kind == TOP_K ? lastValue : kl);
            rowStats.set(at + ROW_D, lastIndex);
            rowStats.set(at + ROW_LSE, lse);
            rowStats.set(at + ROW_LOGIT, real ? logit : 0f);
            int target = targets.get(row);
            rowStats.set(at + ROW_CE, target == IGNORE ? 0f : lse - student.get(off + target));
        }
    }

    /**
     * One work-group: result[OBJECTIVE, LOGIT_LOSS, CE_LOSS] = the mean logit loss over real rows
     * (times tau^2 for the KL kinds) plus ce_weight times the mean CE over predicted rows, the two
     * terms; result[LOGIT_SCALE, CE_SCALE] = weight / real rows, weight * ce_weight / predicted rows
     * (0 when none count).
     */
    public static void distillationMean(KernelContext ctx, IntArray lengths, IntArray targets, FloatArray rowStats, FloatArray settings,
                                        FloatArray result, int batch, int seq) {
        int lid = ctx.localIdx, n = batch * seq, G = Launch.GROUP;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP * 4);
        float logit = 0f, real = 0f, ce = 0f, predicted = 0f;
        for (int i = lid; i < n; i += G) {
            if (i % seq < lengths.get(i / seq)) {
                logit += rowStats.get(i * STATS + ROW_LOGIT);
                real += 1f;
            }
            if (targets.get(i) != IGNORE) {
                ce += rowStats.get(i * STATS + ROW_CE);
                predicted += 1f;
            }
        }
        red[lid] = logit;
        red[G + lid] = real;
        red[2 * G + lid] = ce;
        red[3 * G + lid] = predicted;
        for (int stride = G / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) for (int q = 0; q < 4; q++) red[q * G + lid] += red[q * G + lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) {
            int kind = (int) settings.get(KIND);
            float tau = settings.get(TAU), ceWeight = settings.get(CE_WEIGHT), weight = settings.get(WEIGHT);
            float temperature = kind == MSE || kind == COSINE ? 1f : tau * tau;
            float logitLoss = red[G] == 0f ? 0f : red[0] / red[G] * temperature;
            float ceLoss = red[3 * G] == 0f ? 0f : red[2 * G] / red[3 * G];
            result.set(OBJECTIVE, logitLoss + ceWeight * ceLoss);
            result.set(LOGIT_LOSS, logitLoss);
            result.set(CE_LOSS, ceLoss);
            result.set(LOGIT_SCALE, red[G] == 0f ? 0f : weight / red[G]);
            result.set(CE_SCALE, red[3 * G] == 0f ? 0f : weight * ceWeight / red[3 * G]);
        }
    }

    /**
     * One thread per logit: dstudent = LOGIT_SCALE * d row logit loss / d s + CE_SCALE * d CE / d s
     * on real rows, 0 on padded ones. dstudent may be student.
     */
    public static void distillationGradient(KernelContext ctx, FloatArray student, FloatArray teacher, IntArray lengths, IntArray targets,
                                            FloatArray settings, FloatArray rowStats, FloatArray result, FloatArray dstudent,
                                            int seq, int vocab, int n) {
        int id = ctx.globalIdx;
        if (id < n * vocab) {
            int row = id / vocab, j = id % vocab, at = row * STATS;
            float g = 0f;
            if (row % seq < lengths.get(row / seq)) {
                int kind = (int) settings.get(KIND);
                float tau = settings.get(TAU), invTau = 1f / tau, a = student.get(id), b = teacher.get(id);
                float d;
                if (kind == MSE) {
                    d = 2f * (a - b) / vocab;
                } else if (kind == COSINE) {
                    float ss = rowStats.get(at + ROW_A), tt = rowStats.get(at + ROW_B);
                    if (ss == 0f || tt == 0f) {
                        d = 0f;
                    } else {
                        float norms = TornadoMath.sqrt(ss * tt), cos = rowStats.get(at + ROW_C) / norms;
                        d = -(b / norms - cos * a / ss);
                    }
                } else {
                    float q = TornadoMath.exp(a * invTau - rowStats.get(at + ROW_A));
                    if (kind == FORWARD_KL) {
                        d = tau * (q - TornadoMath.exp(b * invTau - rowStats.get(at + ROW_B)));
                    } else if (kind == REVERSE_KL) {
                        float ls = a * invTau - rowStats.get(at + ROW_A), lt = b * invTau - rowStats.get(at + ROW_B);
                        d = tau * q * (ls - lt - rowStats.get(at + ROW_C));
                    } else {
                        float lastValue = rowStats.get(at + ROW_C), r = 0f;
                        if (b > lastValue || (b == lastValue && j <= (int) rowStats.get(at + ROW_D)))
                            r = TornadoMath.exp(b * invTau - rowStats.get(at + ROW_B));
                        d = tau * (q - r);
                    }
                }
                g = d * result.get(LOGIT_SCALE);
                int target = targets.get(row);
                float ceScale = result.get(CE_SCALE);
                if (ceScale != 0f && target != IGNORE)
                    g += (TornadoMath.exp(a - rowStats.get(at + ROW_LSE)) - (j == target ? 1f : 0f)) * ceScale;
            }
            dstudent.set(id, g);
        }
    }

    /** Row statistics of the intermediate-state loss, IS_STATS per row: z.t, |z|^2, |t|^2 and the row's 1 - cos. */
    public static final int IS_DOT = 0, IS_ZZ = 1, IS_TT = 2, IS_ROW = 3, IS_STATS = 4;
    /** The intermediate-state result: L_is, the gradient scale alpha * weight / (real rows * pairs), the objective with alpha L_is. */
    public static final int IS_LOSS = 0, IS_SCALE = 1, IS_OBJECTIVE = 2, IS_RESULTS = 3;

    /**
     * One work-group per row of one pair: z [N, H] (the student's state, projected) against the
     * teacher's t [N, H]; into stats[off(statsAt) + row * IS_STATS ..] the three sums and 1 - cos
     * (cos 0 for a zero vector, as {@link minitron4j.model.loss.IntermediateStateLoss}; 0 for a
     * padded row).
     */
    public static void intermediateRows(KernelContext ctx, IntArray off, FloatArray z, int zAt, FloatArray t, int tAt,
                                        IntArray lengths, FloatArray stats, int statsAt, int seq, int h) {
        int row = ctx.groupIdx, lid = ctx.localIdx, G = Launch.GROUP;
        int zo = off.get(zAt) + row * h, to = off.get(tAt) + row * h;
        float[] red = ctx.allocateFloatLocalArray(Launch.GROUP * 3);
        float dot = 0f, zz = 0f, tt = 0f;
        for (int j = lid; j < h; j += G) {
            float a = z.get(zo + j), b = t.get(to + j);
            dot += a * b;
            zz += a * a;
            tt += b * b;
        }
        red[lid] = dot;
        red[G + lid] = zz;
        red[2 * G + lid] = tt;
        for (int stride = G / 2; stride > 0; stride /= 2) {
            ctx.localBarrier();
            if (lid < stride) for (int q = 0; q < 3; q++) red[q * G + lid] += red[q * G + lid + stride];
        }
        ctx.localBarrier();
        if (lid == 0) {
            int at = off.get(statsAt) + row * IS_STATS;
            dot = red[0];
            zz = red[G];
            tt = red[2 * G];
            float cos = 0f;
            if (zz != 0f && tt != 0f) cos = dot / TornadoMath.sqrt(zz * tt);
            float loss = 0f;
            if (row % seq < lengths.get(row / seq)) loss = 1f - cos;
            stats.set(at + IS_DOT, dot);
            stats.set(at + IS_ZZ, zz);
            stats.set(at + IS_TT, tt);
            stats.set(at + IS_ROW, loss);
        }
    }

    /**
     * One thread: L_is = the mean over pairs of each pair's mean 1 - cos over real rows; alpha =
     * the logit objective (result[OBJECTIVE] of the distillation graph) / L_is, 0 when L_is is 0;
     * into isResult L_is, alpha * weight / (real rows * pairs), and the objective plus alpha L_is.
     */
    public static void intermediateMean(KernelContext ctx, IntArray lengths, FloatArray stats, FloatArray result, FloatArray settings,
                                        FloatArray isResult, int pairs, int batch, int seq) {
        if (ctx.globalIdx == 0) {
            int n = batch * seq;
            float real = 0f;
            for (int b = 0; b < batch; b++) real += lengths.get(b);
            float total = 0f;
            for (int p = 0; p < pairs; p++) {
                float sum = 0f;
                for (int i = 0; i < n; i++) sum += stats.get((p * n + i) * IS_STATS + IS_ROW);
                if (real > 0f) total += sum / real;
            }
            float loss = total / pairs, objective = result.get(OBJECTIVE);
            float alpha = 0f;
            if (loss != 0f) alpha = objective / loss;
            float scale = 0f;
            if (real > 0f) scale = alpha * settings.get(WEIGHT) / (real * pairs);
            isResult.set(IS_LOSS, loss);
            isResult.set(IS_SCALE, scale);
            isResult.set(IS_OBJECTIVE, objective + alpha * loss);
        }
    }

    /** One thread per entry of one pair: dz [N, H] = -(t / (|z||t|) - cos z / |z|^2) * isResult[IS_SCALE]; 0 on padded rows and zero vectors. */
    public static void intermediateGradient(KernelContext ctx, IntArray off, FloatArray z, int zAt, FloatArray t, int tAt,
                                            IntArray lengths, FloatArray stats, int statsAt, FloatArray isResult, FloatArray dz,
                                            int n, int h, int seq) {
        int id = ctx.globalIdx;
        if (id < n * h) {
            int row = id / h, at = off.get(statsAt) + row * IS_STATS;
            float zz = stats.get(at + IS_ZZ), tt = stats.get(at + IS_TT), g = 0f;
            if (row % seq < lengths.get(row / seq)) {
                if (zz != 0f && tt != 0f) {
                    float norms = TornadoMath.sqrt(zz * tt), cos = stats.get(at + IS_DOT) / norms;
                    g = -(t.get(off.get(tAt) + id) / norms - cos * z.get(off.get(zAt) + id) / zz) * isResult.get(IS_SCALE);
                }
            }
            dz.set(id, g);
        }
    }
}
