package minitron4j.model.loss;

import java.util.Arrays;

/**
 * The losses on logits a distillation can minimise (INTERFACES.md, "Losses"). Each logs under its
 * own name, so {@code kd_loss} keeps its one meaning: forward KL, the paper's choice and the default.
 */
public enum LogitLossKind {
    /** KL(softmax(t/tau) || softmax(s/tau)) summed over the vocabulary, mean over positions, times tau^2. */
    FORWARD_KL("forward_kl", "kd_loss"),
    /** KL(softmax(s/tau) || softmax(t/tau)), same reduction and tau^2. */
    REVERSE_KL("reverse_kl", "reverse_kl_loss"),
    /** (s - t)^2 on raw logits, mean over the vocabulary, mean over positions (torch's mse_loss on each position's row). */
    MSE("mse", "mse_loss"),
    /** 1 - cos(s, t) of raw logit rows, mean over positions. */
    COSINE("cosine", "cosine_loss"),
    /**
     * Forward KL against the teacher's k most likely tokens only: its probabilities (at tau)
     * renormalised over them; the student's log-probabilities from its full softmax (at tau); times tau^2.
     */
    TOP_K("top_k", "top_k_kd_loss");

    private final String id;
    private final String metric;

    LogitLossKind(String id, String metric) {
        this.id = id;
        this.metric = metric;
    }

    /** The name in options, specs and on the command line, e.g. {@code reverse_kl}. */
    public String id() {
        return id;
    }

    /** The JSONL key its value is logged under. */
    public String metric() {
        return metric;
    }

    /** Whether the temperature takes part (the KL kinds); MSE and cosine work on raw logits. */
    public boolean usesTemperature() {
        return this == FORWARD_KL || this == REVERSE_KL || this == TOP_K;
    }

    public static LogitLossKind parse(String id) {
        for (LogitLossKind k : values()) if (k.id.equals(id)) return k;
        throw new IllegalArgumentException("loss \"" + id + "\" is not one of "
                + Arrays.stream(values()).map(LogitLossKind::id).toList());
    }
}
