package minitron4j.training;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a run ended: the last training row's metrics, the last validation row (empty if none), the
 * throughput of this session's steps, and the last checkpoint.
 */
public record TrainingSummary(int steps, Map<String, Double> lastMetrics, Map<String, Double> lastValidation,
                              double tokensPerSecond, double gflopsPerSecond, Path lastCheckpoint) {
}
