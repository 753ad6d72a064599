package minitron4j.tornado;

import minitron4j.kernels.Gemm;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.SplittableRandom;

import static minitron4j.tornado.DeviceRun.assertClose;
import static minitron4j.tornado.DeviceRun.device;

/** The three products of a linear layer against {@link Gemm} on odd shapes (partial tiles everywhere). */
class GemmKernelsTest {
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
                .task(g.task(Launch.tiles2d(rows, out)), GemmKernels::xWt, g.ctx, off.array(), dX, z, stackedW, wAt, dY, z, rows, out, in, 0)
                .task(g.task(Launch.tiles2d(rows, in)), GemmKernels::ab, g.ctx, off.array(), dDy, z, stackedW, wAt, dDx, z, rows, in, out, 1)
                .task(g.task(Launch.tiles2d(out, in)), GemmKernels::atB, g.ctx, off.array(), dDy, z, dX, z, dDw, z, out, in, rows, 0));
        assertClose(y, dY, 1e-5, "x W^T");
        assertClose(dx, dDx, 1e-5, "dX += dY W");
        assertClose(dw, dDw, 1e-5, "dW = dY^T X");
    }
}
