package minitron4j.model.io;

/** How a loaded checkpoint keeps its weights. */
public enum WeightStorage {
    /** Every tensor decoded into fp32 on the heap: for training, which updates them. */
    F32,
    /**
     * bf16/f16 matrices kept in their stored bytes off the heap (read into process memory, or mapped
     * from the safetensors file when they do not fit) and read by the kernels as they are (half the
     * memory of fp32); norms and fp32 tensors on the heap. For everything that does
     * not train the weights: inference, evaluation, importance, a distillation teacher.
     */
    AS_STORED
}
