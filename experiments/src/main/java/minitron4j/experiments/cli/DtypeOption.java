package minitron4j.experiments.cli;

import minitron4j.model.io.Dtype;

/** The {@code --dtype} values the writing commands take. */
final class DtypeOption {
    private DtypeOption() {}

    static Dtype parse(String dtype) {
        return switch (dtype.toLowerCase()) {
            case "bf16", "bfloat16" -> Dtype.BF16;
            case "f16", "fp16", "float16" -> Dtype.F16;
            case "f32", "fp32", "float32" -> Dtype.F32;
            default -> throw new IllegalArgumentException("--dtype must be bf16, f16 or f32, got " + dtype);
        };
    }
}
