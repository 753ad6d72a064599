package minitron4j.model.backend;

import java.util.Map;

/**
 * What a backend reports to {@code minitron4j bench} beside the model's passes: what it computes
 * on, and its matrix products timed alone. Kept out of {@link Backend}, whose contract is the
 * passes; a backend without it is benchmarked on the passes only.
 */
public interface BenchProbes {
    /**
     * What this backend computes on, for benchmark reports: at least {@code device}, and any kernel
     * choices that change its speed (e.g. {@code gemm}).
     */
    Map<String, String> describe();

    /**
     * Seconds per call of this backend's forward matrix product out = x W^T at n x n x n, for each
     * matmul kernel it has (name -> one sample per repeat, after an untimed warm-up call; a device
     * may add name_kernel for the kernel's device time alone): the matmul probe of
     * {@code minitron4j bench}.
     */
    Map<String, double[]> matmulSeconds(int n, int repeats);
}
