package minitron4j.training;

import java.util.Map;

/** Evaluates the current parameters; the returned values (e.g. val_ce_loss, val_ppl) become one log row. */
@FunctionalInterface
public interface Validation {
    Map<String, Double> evaluate();
}
