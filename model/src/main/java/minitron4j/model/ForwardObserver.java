package minitron4j.model;

/**
 * Hooks the forward pass calls with the activations it has just computed, so importance estimation
 * reads them without a second copy of the forward code. Arrays are live buffers: read, never keep
 * or modify. All shapes are over the batch's N = B*T positions; use {@link Batch#real} to skip padding.
 */
public interface ForwardObserver {
    /** which = 0: input_layernorm output, 1: post_attention_layernorm output; out is [N, H]. */
    default void normOutput(int layer, int which, float[] out, Batch batch) {}

    /** The attention output before o_proj, [N, nh*hd]. */
    default void attentionOutput(int layer, float[] att, Batch batch) {}

    /** up_proj output before the activation, [N, F]. */
    default void mlpPreActivation(int layer, float[] up, Batch batch) {}

    /** relu(up)^2, the input of down_proj, [N, F]. */
    default void mlpPostActivation(int layer, float[] act, Batch batch) {}

    /** The residual stream before and after a layer, [N, H] each. */
    default void layerOutput(int layer, float[] in, float[] out, Batch batch) {}

    /** The output of the final norm (model.norm), [N, H]: HF's last hidden state. */
    default void finalNormOutput(float[] out, Batch batch) {}
}
