package minitron4j.pruning;

/** How an attention head's output (its head_dim channels before o_proj) becomes one score. */
public enum HeadStatistic {
    /** P1: per position the L2 norm over the head's channels, then the sequence and batch aggregations. */
    PER_TOKEN("per-token"),
    /** Model Optimizer: each channel aggregated over sequence and batch, then the L2 norm over the head's channels. */
    PER_CHANNEL("per-channel");

    private final String key;

    HeadStatistic(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static HeadStatistic parse(String key) {
        for (HeadStatistic h : values()) if (h.key.equals(key)) return h;
        throw new IllegalArgumentException("head statistic \"" + key + "\" is not one of per-token, per-channel");
    }
}
