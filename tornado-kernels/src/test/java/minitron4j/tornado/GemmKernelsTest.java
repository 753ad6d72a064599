package minitron4j.tornado;

import minitron4j.kernels.Gemm;
import minitron4j.kernels.GemmReference;
import minitron4j.kernels.SquaredRelu;
import minitron4j.tornado.GemmVariant.Product;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static minitron4j.tornado.DeviceRun.assertClose;
import static minitron4j.tornado.DeviceRun.device;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The three products of a linear layer against {@link Gemm} on odd shapes (partial tiles everywhere). */
class GemmKernelsTest {
    /**
     * Every product of each variant against {@link GemmReference} on shapes whose every side takes
     * each of 1, 7, 33, 65 and 130 once (partial tiles of both variants, k below, between and above
     * the depth chunks), every operand at its own non-zero offset, through each epilogue in turn:
     * stored, added into the output, added to another operand (a residual), stored with its squared
     * ReLU into another buffer, and through the squared ReLU's gradient at a pre-activation operand
     * ({@link SquaredRelu#forward} and {@link SquaredRelu#backward} of the reference). Outside their
     * [M,N] slices the output and extra buffers hold a sentinel that must survive: stores past the
     * edge are skipped. Outputs (and activations) written without reading start as NaN, which must
     * not leak through; an operand only read must come out unchanged.
     */
    @ParameterizedTest
    @EnumSource(GemmVariant.class)
    void everyProductMatchesTheReferenceOnOddShapesAtOffsets(GemmVariant variant) {
        int[][] shapes = {{1, 7, 33}, {7, 33, 65}, {33, 65, 130}, {65, 130, 1}, {130, 1, 7}};
        SplittableRandom r = new SplittableRandom(11);
        List<Case> cases = new ArrayList<>();
        Finish[] finishes = Finish.values();
        for (int s = 0; s < shapes.length; s++)
            for (Product p : Product.values())
                cases.add(new Case(p, shapes[s][0], shapes[s][1], shapes[s][2], finishes[(s + p.ordinal()) % finishes.length], r));
        Offsets off = new Offsets(5);
        int aAt = off.slot(), bAt = off.slot(), outAt = off.slot(), extraAt = off.slot();
        off.set(aAt, Case.A_AT);
        off.set(bAt, Case.B_AT);
        off.set(outAt, Case.OUT_AT);
        off.set(extraAt, Case.EXTRA_AT);
        List<Object> inputs = new ArrayList<>(List.of(off.array()));
        List<Object> outputs = new ArrayList<>();
        for (Case c : cases) {
            inputs.addAll(List.of(c.a, c.b, c.out));
            outputs.add(c.out);
            if (c.extra != c.a) {
                inputs.add(c.extra);
                outputs.add(c.extra);
            }
        }
        DeviceRun.once(inputs.toArray(), outputs.toArray(), g -> {
            for (Case c : cases)
                variant.task(g.graph, g.task(variant.grid(c.m, c.n)), g.ctx, c.product, off.array(), c.a, aAt, c.b, bAt,
                        c.out, outAt, c.m, c.n, c.k, c.finish.epilogue, c.extra, c.extra == c.a ? aAt : extraAt);
        });
        for (Case c : cases) c.check(variant);
    }

    /** The {@link Epilogue} a case ends with. */
    private enum Finish {
        STORE(Epilogue.STORE), ACCUMULATE(Epilogue.ACCUMULATE), RESIDUAL(Epilogue.ADD), SQUARED_RELU(Epilogue.SQUARED_RELU),
        SQUARED_RELU_GRADIENT(Epilogue.SQUARED_RELU_GRADIENT);

        final int epilogue;

        Finish(int epilogue) {
            this.epilogue = epilogue;
        }
    }

    @Test
    void theSelectionPropertyNamesAVariantOrIsRefusedWithTheKnownOnes() {
        String before = System.getProperty(GemmVariant.PROPERTY);
        try {
            System.setProperty(GemmVariant.PROPERTY, "tiled16");
            assertEquals(GemmVariant.TILED16, GemmVariant.selected());
            System.setProperty(GemmVariant.PROPERTY, "tiled32");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, GemmVariant::selected);
            assertEquals("-Dminitron4j.gemm=tiled32 is not a matmul variant; known: [tiled16, blocked]", e.getMessage());
        } finally {
            if (before == null) System.clearProperty(GemmVariant.PROPERTY);
            else System.setProperty(GemmVariant.PROPERTY, before);
        }
    }

    /**
     * One product at one shape and epilogue: operands, output and extra operand at offsets inside
     * larger buffers (STORE and ACCUMULATE take none: a stands in for it), and the expected output
     * and extra.
     */
    private static final class Case {
        static final int A_AT = 3, B_AT = 5, OUT_AT = 11, EXTRA_AT = 2, TAIL = 7;
        static final float SENTINEL = 12345f;
        final Product product;
        final Finish finish;
        final int m, n, k;
        final FloatArray a, b, out, extra;
        final float[] want, wantExtra;

        Case(Product product, int m, int n, int k, Finish finish, SplittableRandom r) {
            this.product = product;
            this.finish = finish;
            this.m = m;
            this.n = n;
            this.k = k;
            float[] av = DeviceRun.random(r, m * k, 1), bv = DeviceRun.random(r, n * k, 1);
            // what the product adds to (out's start for ACCUMULATE, the other operand for RESIDUAL), else 0
            boolean adds = finish == Finish.ACCUMULATE || finish == Finish.RESIDUAL;
            float[] addend = adds ? DeviceRun.random(r, m * n, 1) : new float[m * n];
            a = placed(av, A_AT);
            b = placed(bv, B_AT);
            out = placed(finish == Finish.ACCUMULATE ? addend : filled(m * n, Float.NaN), OUT_AT);
            want = addend.clone();
            // a is [M,K] ([K,M] for a^T b), b is [N,K] for x W^T and [K,N] otherwise
            boolean transA = product == Product.AT_B, transB = product == Product.X_WT;
            GemmReference.sgemm(transA, transB, m, n, k, av, 0, transA ? m : k, bv, 0, transB ? k : n, 1f, want, 0, n);
            switch (finish) {
                case STORE, ACCUMULATE -> {
                    extra = a;
                    wantExtra = null;
                }
                case RESIDUAL -> {
                    extra = placed(addend, EXTRA_AT);
                    wantExtra = addend;
                }
                case SQUARED_RELU -> {
                    extra = placed(filled(m * n, Float.NaN), EXTRA_AT);
                    wantExtra = new float[m * n];
                    SquaredRelu.forward(wantExtra, want, m * n);
                }
                case SQUARED_RELU_GRADIENT -> {
                    float[] preActivation = DeviceRun.random(r, m * n, 1);
                    extra = placed(preActivation, EXTRA_AT);
                    wantExtra = preActivation;
                    SquaredRelu.backward(want, want, preActivation, m * n);
                }
                default -> throw new AssertionError(finish);
            }
        }

        void check(GemmVariant variant) {
            String what = variant.label() + " " + product + " " + m + "x" + n + "x" + k + " " + finish;
            checkSlice(out, OUT_AT, want, what);
            if (wantExtra != null) checkSlice(extra, EXTRA_AT, wantExtra, what + " extra");
        }

        /** buffer's [M,N] slice from at against want; the sentinels around it unchanged. */
        private void checkSlice(FloatArray buffer, int at, float[] want, String what) {
            float[] got = new float[m * n];
            for (int i = 0; i < got.length; i++) got[i] = buffer.get(at + i);
            assertClose(want, FloatArray.fromArray(got), 1e-5, what);
            for (int i = 0; i < at; i++) assertEquals(SENTINEL, buffer.get(i), what + ": entry " + i + " before the slice");
            for (int i = at + m * n; i < buffer.getSize(); i++)
                assertEquals(SENTINEL, buffer.get(i), what + ": entry " + i + " after the slice");
        }

        private static FloatArray placed(float[] values, int at) {
            FloatArray f = new FloatArray(at + values.length + TAIL);
            f.init(SENTINEL);
            for (int i = 0; i < values.length; i++) f.set(at + i, values[i]);
            return f;
        }

        private static float[] filled(int n, float value) {
            float[] x = new float[n];
            java.util.Arrays.fill(x, value);
            return x;
        }
    }

    @Test
    void threeProductsOfALinearLayerMatchTheCpu() {
        int rows = 19, in = 23, out = 37;
        SplittableRandom r = new SplittableRandom(1);
        float[] x = DeviceRun.random(r, rows * in, 1), w = DeviceRun.random(r, out * in, 1),
                dy = DeviceRun.random(r, rows * out, 1), dx0 = DeviceRun.random(r, rows * in, 1);
        float[] y = new float[rows * out], dx = dx0.clone(), dw = new float[out * in];
        Gemm.linear(y, x, w, rows, in, out);
        Gemm.linearBackward(dx, dw, dy, x, w, rows, in, out);

        FloatArray dX = device(x), dDy = device(dy), dY = new FloatArray(rows * out),
                dDx = device(dx0), dDw = device(DeviceRun.random(r, out * in, 1));  // dW overwritten: garbage before
        // W sits at offset 5 of a larger buffer, as a layer's slice of a stacked weight does
        FloatArray stackedW = new FloatArray(5 + out * in);
        for (int i = 0; i < w.length; i++) stackedW.set(5 + i, w[i]);
        Offsets off = new Offsets(4);
        int wAt = off.slot(), z = Offsets.ZERO;
        off.set(wAt, 5);
        DeviceRun.once(new Object[]{off.array(), dX, stackedW, dDy, dDx, dDw}, new Object[]{dY, dDx, dDw}, g -> g.graph
                .task(g.task(Launch.tiles2d(rows, out)), GemmKernels::xWt, g.ctx, off.array(), dX, z, stackedW, wAt, dY, z, rows, out, in,
                        Epilogue.STORE, dX, z)
                .task(g.task(Launch.tiles2d(rows, in)), GemmKernels::ab, g.ctx, off.array(), dDy, z, stackedW, wAt, dDx, z, rows, in, out,
                        Epilogue.ACCUMULATE, dDy, z)
                .task(g.task(Launch.tiles2d(out, in)), GemmKernels::atB, g.ctx, off.array(), dDy, z, dX, z, dDw, z, out, in, rows,
                        Epilogue.STORE, dDy, z));
        assertClose(y, dY, 1e-5, "x W^T");
        assertClose(dx, dDx, 1e-5, "dX += dY W");
        assertClose(dw, dDw, 1e-5, "dW = dY^T X");
    }
}
