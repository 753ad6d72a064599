package minitron4j.pruning;

/** Which MLP activation scores a neuron: the paper's pre-activation or Model Optimizer's post-activation. */
public enum NeuronActivation {
    /** up_proj output before relu^2 (P1: X W_up^T). */
    PRE("pre"),
    /** relu(up)^2, the input of down_proj (Model Optimizer). */
    POST("post");

    private final String key;

    NeuronActivation(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static NeuronActivation parse(String key) {
        for (NeuronActivation a : values()) if (a.key.equals(key)) return a;
        throw new IllegalArgumentException("neuron statistic \"" + key + "\" is not one of pre, post");
    }
}
