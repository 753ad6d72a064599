package minitron4j.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Attention} (products of the packed gemm over query blocks) against
 * {@link AttentionReference} (one dot product per query and key): forward outputs and saved
 * probabilities, and every gradient, on shapes around the block size, with GQA and MQA, odd head
 * sizes, right padding, and queries that continue a KV cache.
 */
class AttentionTest {
    private record Case(int batch, int tq, int nh, int nkv, int hd, int qPos0, int maxSeq, boolean padded) {}

    private static final Case[] CASES = {
            new Case(1, 1, 1, 1, 1, 0, 1, false),
            new Case(2, 7, 4, 2, 5, 0, 7, true),
            new Case(1, 65, 3, 1, 16, 0, 65, false),
            new Case(3, 130, 6, 3, 9, 0, 130, true),
            new Case(1, 2 * Attention.ROWS + 3, 2, 1, 8, 0, 2 * Attention.ROWS + 3, true), // two whole blocks and a partial one
            new Case(2, 64, 2, 2, 33, 0, 64, true),
            new Case(1, 1, 4, 2, 8, 40, 50, false),     // decoding one token after 40 cached
            new Case(2, 19, 4, 1, 12, 70, 100, true),   // a block of queries after 70 cached
    };

    @Test
    void forwardMatchesTheReference() {
        Random rnd = new Random(3);
        for (Case c : CASES) {
            Data d = new Data(c, rnd);
            for (boolean keepProbs : new boolean[]{true, false}) {
                float[] out = new float[d.q.length], want = new float[d.q.length];
                float[] probs = keepProbs ? new float[d.probsSize] : null, wantProbs = keepProbs ? new float[d.probsSize] : null;
                java.util.Arrays.fill(out, 9f); // stale values must be overwritten
                if (keepProbs) java.util.Arrays.fill(probs, 9f);
                Attention.forward(out, probs, d.q, d.k, d.v, d.lengths, d.shape);
                AttentionReference.forward(want, wantProbs, d.q, d.k, d.v, d.lengths, d.shape);
                assertClose(want, out, 1e-5, c + " out");
                if (keepProbs) assertClose(wantProbs, probs, 1e-6, c + " probs");
            }
        }
    }

    @Test
    void backwardMatchesTheReference() {
        Random rnd = new Random(4);
        for (Case c : CASES) {
            if (c.qPos0 != 0) continue; // training runs over whole sequences
            Data d = new Data(c, rnd);
            float[] out = new float[d.q.length], probs = new float[d.probsSize];
            AttentionReference.forward(out, probs, d.q, d.k, d.v, d.lengths, d.shape);
            float[] dout = random(rnd, d.q.length);
            float[] dq = random(rnd, d.q.length), dk = random(rnd, d.k.length), dv = random(rnd, d.v.length);
            float[] wq = dq.clone(), wk = dk.clone(), wv = dv.clone(); // both add into what is there
            Attention.backward(dq, dk, dv, dout, probs, d.q, d.k, d.v, d.shape);
            AttentionReference.backward(wq, wk, wv, dout, probs, d.q, d.k, d.v, d.shape);
            assertClose(wq, dq, 1e-5, c + " dq");
            assertClose(wk, dk, 1e-5, c + " dk");
            assertClose(wv, dv, 1e-5, c + " dv");
        }
    }

    private static final class Data {
        final float[] q, k, v;
        final int[] lengths;
        final int probsSize;
        final Attention.Shape shape;

        Data(Case c, Random rnd) {
            int kvStride = c.nkv * c.hd;
            q = random(rnd, c.batch * c.tq * c.nh * c.hd);
            k = random(rnd, c.batch * c.maxSeq * kvStride);
            v = random(rnd, c.batch * c.maxSeq * kvStride);
            shape = new Attention.Shape(c.batch, c.tq, c.nh, c.nkv, c.hd, c.qPos0, c.maxSeq * kvStride);
            int tk = c.qPos0 + c.tq;
            probsSize = c.batch * c.nh * c.tq * tk;
            if (c.padded) {
                lengths = new int[c.batch];
                for (int b = 0; b < c.batch; b++) lengths[b] = b == 0 ? tk : c.qPos0 + 1 + rnd.nextInt(c.tq);
                if (c.batch > 2) lengths[2] = c.qPos0; // a row with no real query
            } else {
                lengths = null;
            }
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }

    private static void assertClose(float[] want, float[] got, double tol, String what) {
        for (int i = 0; i < want.length; i++)
            assertTrue(Math.abs(want[i] - got[i]) <= tol * Math.max(1, Math.abs(want[i])),
                    what + "[" + i + "]: " + want[i] + " vs " + got[i]);
    }
}
