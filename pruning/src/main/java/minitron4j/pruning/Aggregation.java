package minitron4j.pruning;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the values of one channel are reduced along an axis (the sequence, then the batch), as
 * INTERFACES.md defines them over n values a_1..a_n.
 */
public enum Aggregation {
    /** mean of |a|. */
    MEAN("mean"),
    /** sqrt(sum a^2): the norm, not the RMS. */
    L2("l2"),
    /** population variance of a. */
    VAR("var");

    private final String key;

    Aggregation(String key) {
        this.key = key;
    }

    /** The name used on the command line and in scores.json. */
    public String key() {
        return key;
    }

    public static Aggregation parse(String key) {
        for (Aggregation a : values()) if (a.key.equals(key)) return a;
        throw new IllegalArgumentException("aggregation \"" + key + "\" is not one of "
                + Arrays.stream(values()).map(Aggregation::key).collect(Collectors.joining(", ")));
    }
}
