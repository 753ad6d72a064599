package minitron4j.model.backend;

import minitron4j.model.Parameters;
import minitron4j.model.io.WeightStorage;

/**
 * The CPU backend as the callers see a device backend: the same passes, but no host objectives
 * beside them ({@link Backend#runsHostObjectives()} false). Tests run the device road with it,
 * without a device, and compare it with the host road.
 */
public final class CpuAsDevice implements Backend {
    private final CpuBackend cpu = new CpuBackend();

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public WeightStorage weightStorage() {
        return cpu.weightStorage();
    }

    @Override
    public Session open(Parameters params) {
        return cpu.open(params);
    }
}
