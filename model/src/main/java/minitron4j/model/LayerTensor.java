package minitron4j.model;

/**
 * The tensors of one Nemotron decoder layer under their HF names, in HF's order: the one table that
 * the parameter pool, the device stacks, the trimmer and checkpoint export read. A matrix is HF's
 * [out, in] = [rows, cols], a vector [rows]; the axes say which size of the config each side has,
 * which is also what width pruning cuts. The model-wide tensors are {@link Parameters#EMBED},
 * {@link Parameters#NORM_W}, {@link Parameters#NORM_B} and {@link Parameters#LM_HEAD}.
 */
public enum LayerTensor {
    Q_PROJ("self_attn.q_proj.weight", Axis.QUERY, Axis.HIDDEN),
    K_PROJ("self_attn.k_proj.weight", Axis.KEY_VALUE, Axis.HIDDEN),
    V_PROJ("self_attn.v_proj.weight", Axis.KEY_VALUE, Axis.HIDDEN),
    O_PROJ("self_attn.o_proj.weight", Axis.HIDDEN, Axis.QUERY),
    UP_PROJ("mlp.up_proj.weight", Axis.FFN, Axis.HIDDEN),
    DOWN_PROJ("mlp.down_proj.weight", Axis.HIDDEN, Axis.FFN),
    INPUT_NORM_WEIGHT("input_layernorm.weight", Axis.HIDDEN, null),
    INPUT_NORM_BIAS("input_layernorm.bias", Axis.HIDDEN, null),
    POST_NORM_WEIGHT("post_attention_layernorm.weight", Axis.HIDDEN, null),
    POST_NORM_BIAS("post_attention_layernorm.bias", Axis.HIDDEN, null);

    /** The sizes a layer's tensors are made of. */
    public enum Axis {
        /** hidden_size: the residual stream, the embedding channels. */
        HIDDEN,
        /** num_attention_heads * head_dim: the queries and the attention output. */
        QUERY,
        /** num_key_value_heads * head_dim: keys and values. */
        KEY_VALUE,
        /** intermediate_size: the MLP neurons. */
        FFN;

        public int size(NemotronConfig c) {
            return switch (this) {
                case HIDDEN -> c.hiddenSize();
                case QUERY -> c.qDim();
                case KEY_VALUE -> c.kvDim();
                case FFN -> c.intermediateSize();
            };
        }
    }

    private final String suffix;
    private final Axis rows, cols;

    LayerTensor(String suffix, Axis rows, Axis cols) {
        this.suffix = suffix;
        this.rows = rows;
        this.cols = cols;
    }

    /** The HF name in layer l, e.g. {@code model.layers.3.mlp.up_proj.weight}. */
    public String name(int layer) {
        return Parameters.layerPrefix(layer) + suffix;
    }

    public Axis rows() {
        return rows;
    }

    /** The axis of the columns; null for a vector. */
    public Axis cols() {
        return cols;
    }

    public boolean isMatrix() {
        return cols != null;
    }

    public int[] shape(NemotronConfig c) {
        return isMatrix() ? new int[]{rows.size(c), cols.size(c)} : new int[]{rows.size(c)};
    }

    public int numel(NemotronConfig c) {
        return isMatrix() ? rows.size(c) * cols.size(c) : rows.size(c);
    }
}
