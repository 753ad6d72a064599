package minitron4j.tornado;

import minitron4j.kernels.Attention;
import minitron4j.kernels.GemmReference;
import minitron4j.kernels.Rope;
import minitron4j.kernels.SquaredRelu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static minitron4j.tornado.DeviceRun.assertClose;
import static minitron4j.tornado.DeviceRun.device;
import static minitron4j.tornado.DeviceRun.random;

/**
 * The decode kernels against their CPU twins: one token's products with the weights, its RoPE at a
 * position and its attention over the cache.
 */
class DecodeKernelsTest {
    /**
     * out = w x for weights of 1, 7, 33, 130 rows (partial and several work-groups of rows) and 1,
     * 33, 65, 257 columns (fewer and more than a row's lanes, none a multiple of them), every operand
     * at its own non-zero offset, each through another epilogue: stored; plus a residual operand
     * (which must come out unchanged); stored with its squared ReLU ({@link SquaredRelu#forward})
     * into another buffer; added into out. The entries around the slices must survive.
     */
    @Test
    void matrixVectorProductsOnOddShapesThroughEachEpilogue() {
        int[][] shapes = {{1, 1}, {7, 33}, {130, 65}, {33, 257}};
        int[] epilogues = {Epilogue.STORE, Epilogue.ADD, Epilogue.SQUARED_RELU, Epilogue.ACCUMULATE};
        int xAt0 = 3, wAt0 = 5, outAt0 = 2, extraAt0 = 4;
        SplittableRandom r = new SplittableRandom(7);
        Offsets offsets = new Offsets(5);
        int xAt = offsets.slot(), wAt = offsets.slot(), outAt = offsets.slot(), extraAt = offsets.slot();
        offsets.set(xAt, xAt0);
        offsets.set(wAt, wAt0);
        offsets.set(outAt, outAt0);
        offsets.set(extraAt, extraAt0);
        IntArray off = offsets.array();
        List<float[]> wants = new ArrayList<>(), wantExtras = new ArrayList<>();
        List<FloatArray> xs = new ArrayList<>(), ws = new ArrayList<>(), outs = new ArrayList<>(), extras = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            int n = shapes[i][0], k = shapes[i][1];
            float[] x = random(r, xAt0 + k, 1), w = random(r, wAt0 + n * k, 1), want = random(r, outAt0 + n + 1, 1),
                    extra = random(r, extraAt0 + n + 1, 1);
            FloatArray out = device(want.clone());
            float[] product = new float[n];
            GemmReference.sgemm(false, true, 1, n, k, x, xAt0, k, w, wAt0, k, 0f, product, 0, n);
            float[] wantExtra = extra.clone();
            switch (epilogues[i]) {
                case Epilogue.ADD -> {
                    for (int j = 0; j < n; j++) product[j] += extra[extraAt0 + j];
                }
                case Epilogue.SQUARED_RELU -> {
                    float[] act = new float[n];
                    SquaredRelu.forward(act, product, n);
                    System.arraycopy(act, 0, wantExtra, extraAt0, n);
                }
                case Epilogue.ACCUMULATE -> {
                    for (int j = 0; j < n; j++) product[j] += want[outAt0 + j];
                }
                default -> { }
            }
            System.arraycopy(product, 0, want, outAt0, n);
            wants.add(want);
            wantExtras.add(wantExtra);
            xs.add(device(x));
            ws.add(device(w));
            outs.add(out);
            extras.add(device(extra));
        }
        List<Object> inputs = new ArrayList<>(List.of(off));
        inputs.addAll(xs);
        inputs.addAll(ws);
        inputs.addAll(outs);
        inputs.addAll(extras);
        List<Object> outputs = new ArrayList<>(outs);
        outputs.addAll(extras);
        DeviceRun.once(inputs.toArray(), outputs.toArray(), g -> {
            for (int i = 0; i < shapes.length; i++) {
                // STORE and ACCUMULATE take no extra operand: x stands in (see Epilogue)
                boolean takesExtra = epilogues[i] == Epilogue.ADD || epilogues[i] == Epilogue.SQUARED_RELU;
                g.graph.task(g.task(Launch.matrixVector(shapes[i][0])), DecodeKernels::matrixVector, g.ctx, off, xs.get(i), xAt, ws.get(i),
                        wAt, outs.get(i), outAt, shapes[i][0], shapes[i][1], epilogues[i], takesExtra ? extras.get(i) : xs.get(i),
                        takesExtra ? extraAt : xAt);
            }
        });
        for (int i = 0; i < shapes.length; i++) {
            String what = "w x at " + shapes[i][0] + " x " + shapes[i][1] + ", epilogue " + epilogues[i];
            assertClose(wants.get(i), outs.get(i), 1e-5, what);
            assertClose(wantExtras.get(i), extras.get(i), 1e-5, what + ": extra");
        }
    }

    /**
     * RoPE and attention over the cache of the second layer: at position 0 (one cache row), past two
     * work-groups' blocks of positions (the online softmax rescales twice, the last block partial),
     * and with a head larger than a work-group (two dimensions per thread); GQA, odd head sizes.
     */
    @ParameterizedTest
    @CsvSource({"0, 7", "269, 7", "130, 131"})
    void ropeAtAPositionAndAttentionOverTheCache(int pos, int hd) {
        int layers = 2, maxSeq = 300, nh = 6, nkv = 2, rotary = 4, kvd = nkv * hd;
        SplittableRandom r = new SplittableRandom(5);
        float[] q = random(r, nh * hd, 1), cacheK = random(r, layers * maxSeq * kvd, 1), cacheV = random(r, layers * maxSeq * kvd, 1);
        int layerStart = maxSeq * kvd, row = layerStart + pos * kvd;

        Rope rope = new Rope(rotary, 10000, maxSeq);
        float[] rotatedQ = q.clone(), rotatedK = Arrays.copyOfRange(cacheK, row, row + kvd);
        rope.apply(rotatedQ, new int[]{pos}, 1, nh, hd, 1);
        rope.apply(rotatedK, new int[]{pos}, 1, nkv, hd, 1);
        float[] wantK = cacheK.clone();
        System.arraycopy(rotatedK, 0, wantK, row, kvd);
        float[] out = new float[nh * hd];
        float[] layerK = Arrays.copyOfRange(wantK, layerStart, 2 * layerStart), layerV = Arrays.copyOfRange(cacheV, layerStart, 2 * layerStart);
        Attention.forward(out, null, rotatedQ, layerK, layerV, null, new Attention.Shape(1, 1, nh, nkv, hd, pos, maxSeq * kvd));

        Offsets offsets = new Offsets(4);
        int cacheAt = offsets.slot(), rowAt = offsets.slot(), posAt = offsets.slot();
        offsets.set(cacheAt, layerStart);
        offsets.set(rowAt, row);
        offsets.set(posAt, pos);
        RopeTables tables = new RopeTables(rotary, 10000, maxSeq);
        IntArray off = offsets.array();
        FloatArray dQ = device(q), dK = device(cacheK), dV = device(cacheV), dOut = new FloatArray(nh * hd);
        int pairs = rotary / 2, z = Offsets.ZERO;
        DeviceRun.once(new Object[]{off, dQ, dK, dV, tables.cos(), tables.sin()}, new Object[]{dQ, dK, dOut}, g -> g.graph
                .task(g.task(Launch.threads(nh * pairs)), DecodeKernels::rope, g.ctx, off, dQ, z, tables.cos(), tables.sin(), posAt,
                        nh, hd, pairs)
                .task(g.task(Launch.threads(nkv * pairs)), DecodeKernels::rope, g.ctx, off, dK, rowAt, tables.cos(), tables.sin(), posAt,
                        nkv, hd, pairs)
                .task(g.task(Launch.groupPerRow(nh)), DecodeKernels::attention, g.ctx, off, dQ, dK, dV, cacheAt, posAt, dOut, nh, nkv, hd));
        assertClose(rotatedQ, dQ, 1e-6, "rope of q at position " + pos);
        assertClose(wantK, dK, 1e-6, "cache after rope of its row " + pos);
        assertClose(out, dOut, 1e-5, "attention over cache rows 0.." + pos);
    }
}
