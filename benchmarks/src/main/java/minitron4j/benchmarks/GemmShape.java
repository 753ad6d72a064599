package minitron4j.benchmarks;

/**
 * One product of a linear layer with {@code rows} tokens, {@code in} inputs and {@code out} outputs,
 * as the sgemm call training makes: forward y = x.W^T is NT [rows,out,in], dX = dy.W is NN
 * [rows,in,out], dW = dy^T.x is TN [out,in,rows]. For 1024x1024x1024 all three are 1024^3.
 */
record GemmShape(String op, boolean transA, boolean transB, int m, int n, int k) {

    /** The op's product for a layer written rows x out x in (the forward's m x n x k). */
    static GemmShape of(String op, int rows, int out, int in) {
        return switch (op) {
            case "NT" -> new GemmShape(op, false, true, rows, out, in);
            case "NN" -> new GemmShape(op, false, false, rows, in, out);
            case "TN" -> new GemmShape(op, true, false, out, in, rows);
            default -> throw new IllegalArgumentException("op must be NT, NN or TN, got " + op);
        };
    }

    /** Parses "rows x out x in" such as "4096x2048x512". */
    static GemmShape parse(String op, String layer) {
        String[] d = layer.split("x");
        if (d.length != 3) throw new IllegalArgumentException("shape must be rows x out x in like 4096x2048x512, got " + layer);
        return of(op, Integer.parseInt(d[0]), Integer.parseInt(d[1]), Integer.parseInt(d[2]));
    }

    int lda() { return transA ? m : k; }
    int ldb() { return transB ? k : n; }
    double flops() { return 2.0 * m * n * k; }

    @Override
    public String toString() {
        return op + " m=" + m + " n=" + n + " k=" + k;
    }
}
