package minitron4j.training;

import java.util.Map;

/** Sees every row the {@link TrainingLoop} logs, right after it is written (for live plots, tests, sweeps). */
@FunctionalInterface
public interface TrainingListener {
    void onLogRow(Map<String, Object> row);
}
