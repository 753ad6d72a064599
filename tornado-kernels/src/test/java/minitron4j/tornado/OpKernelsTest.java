package minitron4j.tornado;

import minitron4j.kernels.AdamW;
import minitron4j.kernels.Attention;
import minitron4j.kernels.CrossEntropy;
import minitron4j.kernels.Embedding;
import minitron4j.kernels.LayerNorm1P;
import minitron4j.kernels.Rope;
import minitron4j.kernels.VectorMath;
import minitron4j.model.Dropout;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.LogitLossKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.Arrays;
import java.util.SplittableRandom;

import static minitron4j.tornado.DeviceRun.assertClose;
import static minitron4j.tornado.DeviceRun.device;
import static minitron4j.tornado.DeviceRun.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every kernel but the matmuls against its CPU twin, on small odd shapes. */
class OpKernelsTest {
    private static final int Z = Offsets.ZERO;
    private final Offsets zero = new Offsets(1);

    @Test
    void layerNormForwardAndBackward() {
        int n = 7, h = 45;
        float eps = 1e-5f;
        SplittableRandom r = new SplittableRandom(2);
        float[] x = random(r, n * h, 2), w = random(r, h, 0.3), b = random(r, h, 0.3), dout = random(r, n * h, 1);
        float[] dx0 = random(r, n * h, 1);
        float[] out = new float[n * h], mean = new float[n], rstd = new float[n];
        LayerNorm1P.forward(out, mean, rstd, x, w, b, n, h, eps);
        float[] dx = dx0.clone(), dw = new float[h], db = new float[h];
        LayerNorm1P.backward(dx, dw, db, dout, x, mean, rstd, w, n, h);

        IntArray off = zero.array();
        FloatArray dX = device(x), dW = device(w), dB = device(b), dOut = new FloatArray(n * h), dMean = new FloatArray(n),
                dRstd = new FloatArray(n), dDout = device(dout), dDx = device(dx0), dDw = new FloatArray(h), dDb = new FloatArray(h),
                pw = new FloatArray(LayerNormKernels.CHUNKS * h), pb = new FloatArray(LayerNormKernels.CHUNKS * h);
        DeviceRun.once(new Object[]{off, dX, dW, dB, dDout, dDx}, new Object[]{dOut, dMean, dRstd, dDx, dDw, dDb}, g -> g.graph
                .task(g.task(Launch.groupPerRow(n)), LayerNormKernels::forward, g.ctx, off, dX, Z, dW, Z, dB, Z, dOut, Z, dMean, dRstd, Z, h, eps)
                .task(g.task(Launch.groupPerRow(n)), LayerNormKernels::backwardInput, g.ctx, off, dDout, Z, dX, Z, dMean, dRstd, Z, dW, Z, dDx, Z, h, 1)
                .task(g.task(Launch.threads(LayerNormKernels.CHUNKS * h)), LayerNormKernels::paramGradPartials, g.ctx, off, dDout, Z, dX, Z,
                        dMean, dRstd, Z, pw, pb, n, h)
                .task(g.task(Launch.threads(h)), LayerNormKernels::paramGradCombine, g.ctx, off, pw, pb, dDw, dDb, Z, h, 0));
        assertClose(out, dOut, 1e-5, "LN out");
        assertClose(mean, dMean, 1e-5, "LN mean");
        assertClose(rstd, dRstd, 1e-5, "LN rstd");
        assertClose(dx, dDx, 1e-5, "LN dx");
        assertClose(dw, dDw, 1e-5, "LN dw");
        assertClose(db, dDb, 1e-5, "LN db");
    }

    @Test
    void embeddingRopeAndAdd() {
        int n = 9, h = 13, vocab = 11, heads = 3, hd = 6, rotary = 4, seq = 3;
        SplittableRandom r = new SplittableRandom(3);
        int[] ids = {3, 0, 10, 3, 5, 5, 1, 3, 9};
        float[] table = random(r, vocab * h, 1), dout = random(r, n * h, 1), dTable0 = random(r, vocab * h, 1);
        float[] emb = new float[n * h], dTable = dTable0.clone();
        Embedding.forward(emb, ids, table, n, h);
        Embedding.backward(dTable, dout, ids, n, h, 5); // padding_idx 5 gets no gradient

        Rope rope = new Rope(rotary, 10000, 8);
        float[] q = random(r, n * heads * hd, 1), rotated = q.clone(), back = q.clone();
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = i % seq;
        rope.apply(rotated, pos, n, heads, hd, 1);
        rope.apply(back, pos, n, heads, hd, -1);
        RopeTables tables = new RopeTables(rotary, 10000, 8);

        float[] addend = random(r, n * h, 1);
        float[] y0 = random(r, n * h, 1), y = y0.clone();
        for (int i = 0; i < y.length; i++) y[i] += addend[i];

        IntArray off = zero.array(), dIds = device(ids);
        FloatArray dTableIn = device(table), dEmb = new FloatArray(n * h), dDout = device(dout), dDTable = device(dTable0),
                dQ = device(q), dBack = device(q), dAddend = device(addend), dY = device(y0);
        int half = rotary / 2;
        DeviceRun.once(new Object[]{off, dIds, dTableIn, dDout, dDTable, dQ, dBack, tables.cos(), tables.sin(), dAddend, dY},
                new Object[]{dEmb, dDTable, dQ, dBack, dY}, g -> g.graph
                .task(g.task(Launch.threads(n * h)), ElementwiseKernels::embeddingForward, g.ctx, dIds, dTableIn, dEmb, n, h)
                .task(g.task(Launch.threads(h)), ElementwiseKernels::embeddingBackward, g.ctx, dIds, dDout, dDTable, n, h, 5)
                .task(g.task(Launch.threads(n * heads * half)), ElementwiseKernels::rope, g.ctx, off, dQ, Z, tables.cos(), tables.sin(),
                        Z, n, heads, hd, half, seq, 1f)
                .task(g.task(Launch.threads(n * heads * half)), ElementwiseKernels::rope, g.ctx, off, dBack, Z, tables.cos(), tables.sin(),
                        Z, n, heads, hd, half, seq, -1f)
                .task(g.task(Launch.threads(n * h)), ElementwiseKernels::add, g.ctx, off, dAddend, Z, dY, Z, n * h));
        assertClose(emb, dEmb, 0, "embedding");
        assertClose(dTable, dDTable, 1e-6, "embedding backward");
        assertClose(rotated, dQ, 1e-6, "rope");
        assertClose(back, dBack, 1e-6, "rope backward");
        assertClose(y, dY, 1e-6, "residual add");
    }

    /**
     * A head's bias forward and backward (twins: the CPU head's axpy row by row) and its dropout
     * ({@link Dropout#scales} multiplied in, as the CPU's forward drops); the column sums within
     * rounding (the device compiler may reassociate them), the rest exactly.
     */
    @Test
    void headBiasAndDropout() {
        int n = 9, k = 3, h = 13;
        SplittableRandom r = new SplittableRandom(5);
        float[] out0 = random(r, n * k, 1), bias = random(r, k, 1), dout = random(r, n * k, 1), dBias0 = random(r, k, 1),
                x = random(r, n * h, 1), scales = new float[n * h];
        float[] out = out0.clone(), dBias = dBias0.clone(), dropped = new float[n * h];
        for (int i = 0; i < n; i++) VectorMath.axpy(1f, bias, 0, out, i * k, k);
        for (int i = 0; i < n; i++) VectorMath.axpy(1f, dout, i * k, dBias, 0, k);
        Dropout.scales(scales, n * h, 0.3, 42L);
        for (int i = 0; i < n * h; i++) dropped[i] = x[i] * scales[i];

        FloatArray dOut = device(out0), dB = device(bias), dDout = device(dout), dDb = device(dBias0), dX = device(x),
                dScales = device(scales), dDropped = new FloatArray(n * h);
        DeviceRun.once(new Object[]{dOut, dB, dDout, dDb, dX, dScales}, new Object[]{dOut, dDb, dDropped, dX}, g -> g.graph
                .task(g.task(Launch.threads(n * k)), ElementwiseKernels::biasForward, g.ctx, dOut, dB, n, k)
                .task(g.task(Launch.threads(k)), ElementwiseKernels::biasBackward, g.ctx, dDout, dDb, n, k)
                .task(g.task(Launch.threads(n * h)), ElementwiseKernels::dropout, g.ctx, dX, dScales, dDropped, n * h)
                .task(g.task(Launch.threads(n * h)), ElementwiseKernels::dropout, g.ctx, dX, dScales, dX, n * h));
        assertClose(out, dOut, 0, "bias");
        assertClose(dBias, dDb, 1e-6, "bias backward");
        assertClose(dropped, dDropped, 0, "dropout");
        assertClose(dropped, dX, 0, "dropout in place");
    }

    /**
     * The fused attention pair against the CPU's: GQA, MQA and plain heads; odd head sizes and the
     * largest one; sequences that are no multiple of a work-group's rows or of a staged block, long
     * enough for several key and query blocks; padded rows and a row without real tokens.
     */
    @ParameterizedTest
    @CsvSource({"3, 37, 6, 2, 7, 37 13 0", "2, 19, 4, 1, 24, 19 5", "1, 9, 2, 2, " + AttentionKernels.MAX_HEAD_DIM + ", 9"})
    void causalGroupedQueryAttentionForwardAndBackward(int batch, int seq, int nh, int nkv, int hd, String rowLengths) {
        int n = batch * seq;
        int[] lengths = Arrays.stream(rowLengths.split(" ")).mapToInt(Integer::parseInt).toArray();
        SplittableRandom r = new SplittableRandom(4);
        float[] q = random(r, n * nh * hd, 1), k = random(r, n * nkv * hd, 1), v = random(r, n * nkv * hd, 1),
                dout = random(r, n * nh * hd, 1);
        Attention.Shape shape = new Attention.Shape(batch, seq, nh, nkv, hd, 0, seq * nkv * hd);
        float[] out = new float[n * nh * hd], probs = new float[batch * nh * seq * seq];
        Attention.forward(out, probs, q, k, v, lengths, shape);
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(dq, dk, dv, dout, probs, q, k, v, shape);

        IntArray off = zero.array(), dLengths = device(lengths);
        FloatArray dQ = device(q), dK = device(k), dV = device(v), dDout = device(dout), dOut = new FloatArray(out.length),
                dLse = new FloatArray(n * nh), dRowDot = new FloatArray(n * nh), dDq = new FloatArray(q.length),
                dDk = new FloatArray(k.length), dDv = new FloatArray(v.length);
        DeviceRun.once(new Object[]{off, dQ, dK, dV, dDout, dLengths}, new Object[]{dOut, dDq, dDk, dDv}, g -> g.graph
                .task(g.task(Launch.attentionBlocks(batch * nh, seq)), AttentionKernels::forward, g.ctx, off, dQ, Z, dK, dV, Z, dLengths,
                        dLse, Z, dOut, Z, Z, seq, seq, nh, nkv, hd)
                .task(g.task(Launch.attentionBlocks(batch * nh, seq)), AttentionKernels::backwardQuery, g.ctx, off, dDout, dQ, Z, dK, dV, Z,
                        dOut, Z, dLengths, dLse, Z, dRowDot, dDq, seq, nh, nkv, hd)
                .task(g.task(Launch.attentionBlocks(batch * nkv, seq)), AttentionKernels::backwardKeyValue, g.ctx, off, dDout, dQ, Z, dK,
                        dV, Z, dLengths, dLse, Z, dRowDot, dDk, dDv, seq, nh, nkv, hd));
        assertClose(out, dOut, 1e-5, "attention out");
        assertClose(dq, dDq, 1e-5, "attention dq");
        assertClose(dk, dDk, 1e-5, "attention dk");
        assertClose(dv, dDv, 1e-5, "attention dv");
    }

    @Test
    void crossEntropyWithItsGradient() {
        int batch = 2, seq = 4, n = batch * seq, vocab = 301;
        SplittableRandom r = new SplittableRandom(5);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        int[] lengths = {4, 3};
        minitron4j.model.Batch b = new minitron4j.model.Batch(ids, batch, seq, lengths);
        float[] logits = random(r, n * vocab, 4);
        int[] targets = b.nextTokenTargets();
        double ce = CrossEntropy.forward(logits, targets, n, vocab, null);
        float[] ceGrad = new float[logits.length];
        float weight = 0.5f;  // a gradient-accumulation weight scales the gradients, not the losses
        CrossEntropy.backwardInPlace(logits, targets, n, vocab, weight, ceGrad, false);

        IntArray dIds = device(ids), dLengths = device(lengths), dTargets = new IntArray(n);
        FloatArray dLogits = device(logits), settings = new FloatArray(LossKernels.SETTINGS), lse = new FloatArray(n),
                rowLoss = new FloatArray(n), ceResult = new FloatArray(2), dCe = new FloatArray(logits.length);
        settings.set(LossKernels.WEIGHT, weight);
        DeviceRun.once(new Object[]{dIds, dLengths, dLogits, settings}, new Object[]{dTargets, ceResult, dCe}, g -> g.graph
                .task(g.task(Launch.threads(n)), LossKernels::nextTokenTargets, g.ctx, dIds, dLengths, dTargets, batch, seq)
                .task(g.task(Launch.groupPerRow(n)), LossKernels::crossEntropyRows, g.ctx, dLogits, dTargets, lse, rowLoss, vocab)
                .task(g.task(Launch.oneGroup()), LossKernels::crossEntropyMean, g.ctx, dTargets, rowLoss, settings, ceResult, n)
                .task(g.task(Launch.threads(n * vocab)), LossKernels::crossEntropyGradient, g.ctx, dLogits, dTargets, lse, ceResult, dCe,
                        n, vocab));
        assertEquals(ce, ceResult.get(0), 1e-5 * ce, "CE loss");
        assertClose(ceGrad, dCe, 1e-5, "CE gradient");
        for (int i = 0; i < n; i++) assertEquals(targets[i], dTargets.get(i), "target " + i);
    }

    /**
     * The distillation loss kernels against {@link DistillationLoss} for every kind, with a CE term,
     * padding and a micro-batch weight; the teacher rows hold ties, so top-k's rule for them (the
     * lower index first) is tested too.
     */
    @ParameterizedTest
    @EnumSource(LogitLossKind.class)
    void distillationLossesWithGradients(LogitLossKind kind) {
        int batch = 2, seq = 4, n = batch * seq, vocab = 301, topK = 7;
        float tau = 2f, weight = 0.5f, ceWeight = 0.25f;
        SplittableRandom r = new SplittableRandom(6);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        int[] lengths = {4, 3};
        minitron4j.model.Batch b = new minitron4j.model.Batch(ids, batch, seq, lengths);
        float[] logits = random(r, n * vocab, 4), teacher = random(r, n * vocab, 4);
        for (int row = 0; row < n; row++) // ties among each row's largest teacher logits
            for (int j = 0; j < 4; j++) teacher[row * vocab + 17 * j + row] = 9f;
        DistillationLoss loss = new DistillationLoss(kind, tau, topK, ceWeight);
        float[] grad = logits.clone();
        DistillationLoss.Values want = loss.lossAndGradient(grad, teacher, b, vocab, weight);

        IntArray dIds = device(ids), dLengths = device(lengths), dTargets = new IntArray(n);
        FloatArray dLogits = device(logits), dTeacher = device(teacher), settings = new FloatArray(LossKernels.SETTINGS),
                stats = new FloatArray(n * LossKernels.STATS), result = new FloatArray(LossKernels.RESULTS),
                dGrad = new FloatArray(logits.length);
        settings.set(LossKernels.TAU, tau);
        settings.set(LossKernels.WEIGHT, weight);
        settings.set(LossKernels.KIND, LossKernels.code(kind));
        settings.set(LossKernels.TOP_K_SETTING, topK);
        settings.set(LossKernels.CE_WEIGHT, ceWeight);
        DeviceRun.once(new Object[]{dIds, dLengths, dLogits, dTeacher, settings}, new Object[]{result, dGrad}, g -> g.graph
                .task(g.task(Launch.threads(n)), LossKernels::nextTokenTargets, g.ctx, dIds, dLengths, dTargets, batch, seq)
                .task(g.task(Launch.groupPerRow(n)), LossKernels::distillationRows, g.ctx, dLogits, dTeacher, dLengths, dTargets, settings,
                        stats, seq, vocab)
                .task(g.task(Launch.oneGroup()), LossKernels::distillationMean, g.ctx, dLengths, dTargets, stats, settings, result, batch, seq)
                .task(g.task(Launch.threads(n * vocab)), LossKernels::distillationGradient, g.ctx, dLogits, dTeacher, dLengths, dTargets,
                        settings, stats, result, dGrad, seq, vocab, n));
        assertEquals(want.objective(), result.get(LossKernels.OBJECTIVE), 1e-5 * want.objective(), kind + " objective");
        assertEquals(want.logitLoss(), result.get(LossKernels.LOGIT_LOSS), 1e-5 * want.logitLoss(), kind + " logit loss");
        assertEquals(want.ceLoss(), result.get(LossKernels.CE_LOSS), 1e-5 * want.ceLoss(), kind + " CE");
        double max = 0;
        for (float x : grad) max = Math.max(max, Math.abs(x));
        assertClose(grad, dGrad, 1e-5 * max, kind + " gradient");
    }

    @Test
    void adamWAndTheGradientNorm() {
        int n = 1037;
        SplittableRandom r = new SplittableRandom(6);
        float[] p = random(r, n, 1), g = random(r, n, 1), m = random(r, n, 0.1), v = random(r, n, 0.1);
        for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]);
        float[] p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
        int step = 3;
        float lr = 1e-2f, b1 = 0.9f, b2 = 0.95f, eps = 1e-8f, wd = 0.1f;
        double sq = 0;
        for (float x : g) sq += x * x;
        float[] g2 = random(r, 300, 1);
        for (float x : g2) sq += x * x;
        // clipped to half the global norm of both tensors, as torch's clip_grad_norm_ would
        float maxNorm = (float) (0.5 * Math.sqrt(sq)), coef = (float) (maxNorm / (Math.sqrt(sq) + 1e-6));
        float[] clipped = g.clone();
        for (int i = 0; i < n; i++) clipped[i] *= coef;
        AdamW.update(p2, clipped, m2, v2, n, step, lr, b1, b2, eps, wd);

        FloatArray dP = device(p), dG = device(g), dM = device(m), dV = device(v), dG2 = device(g2),
                settings = AdamWScalars.of(lr, b1, b2, eps, wd, maxNorm, step), partials = new FloatArray(2 * OptimizerKernels.GROUPS),
                result = new FloatArray(2);
        DeviceRun.once(new Object[]{dP, dG, dM, dV, dG2, settings}, new Object[]{dP, dM, dV, result}, gr -> gr.graph
                .task(gr.task(Launch.groupPerRow(OptimizerKernels.GROUPS)), OptimizerKernels::sumOfSquaresPartials, gr.ctx, dG, partials, n, 0)
                .task(gr.task(Launch.groupPerRow(OptimizerKernels.GROUPS)), OptimizerKernels::sumOfSquaresPartials, gr.ctx, dG2, partials, 300, 1)
                .task(gr.task(Launch.oneGroup()), OptimizerKernels::normCombine, gr.ctx, partials, result, 2 * OptimizerKernels.GROUPS)
                .task(gr.task(Launch.threads(n)), OptimizerKernels::adamW, gr.ctx, dP, dG, dM, dV, settings, result, n, 1));
        assertClose(p2, dP, 1e-6, "AdamW param");
        assertClose(m2, dM, 1e-6, "AdamW m");
        assertClose(v2, dV, 1e-6, "AdamW v");
        assertEquals(Math.sqrt(sq), result.get(0), 1e-5 * Math.sqrt(sq), "gradient norm");
        assertEquals(1f, result.get(1), "finite flag");
    }
}
