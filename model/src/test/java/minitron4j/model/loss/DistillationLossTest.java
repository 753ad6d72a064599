package minitron4j.model.loss;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.LogitLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each logit loss against a plain double-precision reference written from its definition: the
 * value, and the gradient against central finite differences of that reference.
 */
class DistillationLossTest {
    static final int B = 2, T = 4, V = 13;
    static final int[] LENGTHS = {4, 3}; // the second row has one padded position

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (LogitLossKind kind : LogitLossKind.values())
            for (double tau : new double[]{1, 2})
                for (double ce : new double[]{0, 0.5}) a.add(Arguments.of(kind, tau, ce));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} tau {1} ce_weight {2}")
    @MethodSource("cases")
    void valueAndGradientMatchFiniteDifferencesOfTheDefinition(LogitLossKind kind, double tau, double ceWeight) {
        DistillationLoss loss = new DistillationLoss(kind, tau, 4, ceWeight);
        Batch batch = batch();
        float[] s = random(B * T * V, 3, 1.5), t = random(B * T * V, 4, 2.0);
        double[] sd = toDouble(s);

        float[] grad = s.clone();
        float weight = 0.75f;
        DistillationLoss.Values v = loss.lossAndGradient(grad, t, batch, V, weight);
        double expected = Reference.objective(loss, sd, toDouble(t), batch);
        assertEquals(expected, v.objective(), 1e-6 * Math.max(1, Math.abs(expected)), "objective");
        assertEquals(v.logitLoss() + ceWeight * v.ceLoss(), v.objective(), 1e-12);

        double h = 1e-5, maxAbs = 0;
        double[] numeric = new double[sd.length];
        for (int i = 0; i < sd.length; i++) {
            double keep = sd[i];
            sd[i] = keep + h;
            double up = Reference.objective(loss, sd, toDouble(t), batch);
            sd[i] = keep - h;
            double down = Reference.objective(loss, sd, toDouble(t), batch);
            sd[i] = keep;
            numeric[i] = weight * (up - down) / (2 * h);
            maxAbs = Math.max(maxAbs, Math.abs(numeric[i]));
        }
        assertTrue(maxAbs > 1e-4, "the check must see a gradient");
        for (int i = 0; i < sd.length; i++)
            assertEquals(numeric[i], grad[i], 2e-5 * maxAbs, kind + " d/d logit " + i);
        for (int j = 0; j < V; j++) assertEquals(0f, grad[(T + 3) * V + j], "padded position gets no gradient");
    }

    @Test
    void forwardKlIsTheKernelsLoss() {
        Batch batch = batch();
        float[] s = random(B * T * V, 5, 3), t = random(B * T * V, 6, 3);
        for (float tau : new float[]{1f, 2f}) {
            float[] ours = s.clone(), kernel = s.clone();
            double a = DistillationLoss.forwardKl(tau).lossAndGradient(ours, t, batch, V, 1f).logitLoss();
            double b = LogitLoss.forwardKl(t, tau).lossAndGradient(kernel, batch, V);
            assertEquals(b, a, 1e-12 * b);
            double max = 0;
            for (float g : kernel) max = Math.max(max, Math.abs(g));
            // the kernel rounds (q - p) to float before scaling; we scale in double
            for (int i = 0; i < s.length; i++) assertEquals(kernel[i], ours[i], 1e-6 * max, "gradient " + i);
        }
    }

    @Test
    void topKOverTheWholeVocabularyIsForwardKl() {
        Batch batch = batch();
        float[] s = random(B * T * V, 7, 2), t = random(B * T * V, 8, 2);
        float[] full = s.clone(), top = s.clone();
        double a = DistillationLoss.forwardKl(2).lossAndGradient(full, t, batch, V, 1f).logitLoss();
        double b = new DistillationLoss(LogitLossKind.TOP_K, 2, V + 5, 0).lossAndGradient(top, t, batch, V, 1f).logitLoss();
        // forward KL takes its log-probabilities and exponentials in fp32 vectors (KlDivergence.row),
        // top-k in fp64 over its kept set: equal to a float's precision, not a double's
        assertEquals(a, b, 1e-6 * a);
        assertArrayEquals(full, top, 1e-7f);
    }

    @Test
    void topKKeepsTheLargestTeacherLogitsAndBreaksTiesByIndex() {
        float[] t = {0, 5, 1, 5, -2, 3, 5};
        float[] s = new float[t.length];
        Batch one = Batch.of(new int[]{0}, 1, 1);
        // k = 2 of three tied 5s: tokens 1 and 3 are kept with 1/2 each; the student (uniform) gets tau (q - r)
        new DistillationLoss(LogitLossKind.TOP_K, 1, 2, 0).lossAndGradient(s, t, one, t.length, 1f);
        double q = 1.0 / t.length;
        for (int j = 0; j < t.length; j++)
            assertEquals(q - (j == 1 || j == 3 ? 0.5 : 0), s[j], 1e-7, "token " + j);
    }

    @Test
    void hugeLogitsStayFiniteAndShiftInvariant() {
        Batch batch = batch();
        float[] s = random(B * T * V, 9, 2), t = random(B * T * V, 10, 2);
        float[] shiftedS = s.clone(), shiftedT = t.clone();
        for (int i = 0; i < s.length; i++) {
            shiftedS[i] += 3e4f;
            shiftedT[i] -= 2e4f;
        }
        for (LogitLossKind kind : List.of(LogitLossKind.FORWARD_KL, LogitLossKind.REVERSE_KL, LogitLossKind.TOP_K)) {
            DistillationLoss loss = new DistillationLoss(kind, 1, 3, 0);
            double a = loss.lossAndGradient(s.clone(), t, batch, V, 1f).logitLoss();
            double b = loss.lossAndGradient(shiftedS.clone(), shiftedT, batch, V, 1f).logitLoss();
            assertTrue(Double.isFinite(b), kind + " is finite");
            // a shift of 3e4 in float keeps about 3 decimal digits of each logit
            assertEquals(a, b, 2e-2 * a, kind + " does not depend on a shift of the logits");
        }
    }

    @Test
    void invalidSettingsAndTargetsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DistillationLoss.forwardKl(0)).getMessage().contains("tau"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DistillationLoss(LogitLossKind.TOP_K, 1, 0, 0)).getMessage().contains("top_k"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DistillationLoss(LogitLossKind.MSE, 1, 0, -1)).getMessage().contains("ce_weight"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LogitLossKind.parse("kl")).getMessage().contains("forward_kl"));
        Batch bad = Batch.of(new int[]{1, V + 2}, 1, 2);
        var e = assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.forwardKl(1).lossAndGradient(new float[2 * V], new float[2 * V], bad, V, 1f));
        assertTrue(e.getMessage().contains("target id " + (V + 2)), e.getMessage());
    }

    static Batch batch() {
        int[] ids = new int[B * T];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(V);
        return new Batch(ids, B, T, LENGTHS.clone());
    }

    static float[] random(int n, long seed, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * std);
        return x;
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    /** The losses written straight from INTERFACES.md, in double, without any of the row tricks. */
    static final class Reference {
        static double objective(DistillationLoss loss, double[] s, double[] t, Batch batch) {
            boolean[] valid = batch.realMask();
            int[] targets = batch.nextTokenTargets();
            double logit = 0, ce = 0;
            int distilled = 0, predicted = 0;
            for (int i = 0; i < batch.tokens(); i++) {
                double[] si = Arrays.copyOfRange(s, i * V, (i + 1) * V), ti = Arrays.copyOfRange(t, i * V, (i + 1) * V);
                if (valid[i]) {
                    logit += row(loss, si, ti);
                    distilled++;
                }
                if (targets[i] != CrossEntropy.IGNORE) {
                    ce -= Math.log(softmax(si, 1)[targets[i]]);
                    predicted++;
                }
            }
            double scale = loss.kind().usesTemperature() ? loss.tau() * loss.tau() : 1;
            return logit / distilled * scale + loss.ceWeight() * ce / predicted;
        }

        static double row(DistillationLoss loss, double[] s, double[] t) {
            double tau = loss.tau();
            switch (loss.kind()) {
                case FORWARD_KL -> {
                    return kl(softmax(t, tau), softmax(s, tau));
                }
                case REVERSE_KL -> {
                    return kl(softmax(s, tau), softmax(t, tau));
                }
                case MSE -> {
                    double sum = 0;
                    for (int j = 0; j < V; j++) sum += (s[j] - t[j]) * (s[j] - t[j]);
                    return sum / V;
                }
                case COSINE -> {
                    double dot = 0, ss = 0, tt = 0;
                    for (int j = 0; j < V; j++) {
                        dot += s[j] * t[j];
                        ss += s[j] * s[j];
                        tt += t[j] * t[j];
                    }
                    return 1 - dot / Math.sqrt(ss) / Math.sqrt(tt);
                }
                case TOP_K -> {
                    Integer[] order = new Integer[V];
                    for (int j = 0; j < V; j++) order[j] = j;
                    Arrays.sort(order, (a, b) -> Double.compare(t[b], t[a]));
                    double[] p = softmax(t, tau), q = softmax(s, tau);
                    double kept = 0;
                    for (int r = 0; r < loss.topK(); r++) kept += p[order[r]];
                    double sum = 0;
                    for (int r = 0; r < loss.topK(); r++) {
                        double pr = p[order[r]] / kept;
                        sum += pr * Math.log(pr / q[order[r]]);
                    }
                    return sum;
                }
            }
            throw new AssertionError();
        }

        static double[] softmax(double[] x, double tau) {
            double max = Arrays.stream(x).max().orElseThrow(), z = 0;
            double[] p = new double[x.length];
            for (int j = 0; j < x.length; j++) z += p[j] = Math.exp((x[j] - max) / tau);
            for (int j = 0; j < x.length; j++) p[j] /= z;
            return p;
        }

        static double kl(double[] p, double[] q) {
            double sum = 0;
            for (int j = 0; j < p.length; j++) sum += p[j] * Math.log(p[j] / q[j]);
            return sum;
        }
    }
}
