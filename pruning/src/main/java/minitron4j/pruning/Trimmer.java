package minitron4j.pruning;

import minitron4j.model.Architecture;
import minitron4j.model.LayerTensor;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.TensorRows;
import minitron4j.model.io.StreamedTensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts a model's parameters down to a {@link PruningPlan}. The cut is a table of {@link Cut}s, one per
 * tensor of the pruned model, that reads the source a row at a time: {@link #stream} feeds a checkpoint
 * writer straight from the source file (memory of the order of one row, whatever the model's size),
 * and {@link #apply} materialises the same cuts in a heap pool. Shapes in HF's [out, in] convention:
 * <ul>
 *   <li>hidden channels (one index set): embedding and lm_head columns, every LayerNorm1P weight and
 *       bias (final norm too), q/k/v/up input columns, o/down output rows;</li>
 *   <li>heads: the kept heads' row blocks of q_proj and column blocks of o_proj; k/v row blocks only
 *       with plain multi-head attention (with GQA every KV group stays);</li>
 *   <li>neurons: rows of up_proj, columns of down_proj;</li>
 *   <li>layers: the kept ones, renumbered 0..l-1.</li>
 * </ul>
 * head_dim never changes. A plan's head folds replace a kept head's o_proj column block by
 * 2 W_o[:,kept] - W_o[:,pruned] (our weight-space reading of P1's "residual information").
 */
public final class Trimmer {
    private Trimmer() {}

    /**
     * One tensor of the pruned model: source tensor {@code from}'s rows {@code rows} (null for a 1-D
     * tensor) and columns {@code cols}, after the head folds (o_proj only) are applied to each row.
     */
    record Cut(String to, String from, int[] rows, int[] cols, List<PruningPlan.HeadFold> folds, int headDim) {
        int[] shape() {
            return rows == null ? new int[]{cols.length} : new int[]{rows.length, cols.length};
        }

        /** Output row r (the whole vector for a 1-D tensor) into dst, reading the source row into srcRow. */
        void row(TensorRows source, int r, float[] srcRow, float[] dst, int off) throws IOException {
            source.readRow(from, rows == null ? 0 : rows[r], srcRow);
            for (PruningPlan.HeadFold fold : folds)
                for (int j = 0; j < headDim; j++)
                    srcRow[fold.kept() * headDim + j] = 2 * srcRow[fold.kept() * headDim + j] - srcRow[fold.pruned() * headDim + j];
            for (int j = 0; j < cols.length; j++) dst[off + j] = srcRow[cols[j]];
        }
    }

    /** The cuts that make the pruned model, in HF order of its tensors. */
    static List<Cut> cuts(NemotronConfig c, PruningPlan plan) {
        if (!c.equals(plan.source()))
            throw new IllegalArgumentException("the plan was made for another config than this model's");
        int hd = c.headDim();
        int[] hidden = plan.embedding();
        List<Cut> cuts = new ArrayList<>();
        cuts.add(matrix(Parameters.EMBED, Parameters.EMBED, range(c.vocabSize()), hidden));
        for (int i = 0; i < plan.layers().length; i++) {
            int source = plan.layers()[i];
            int[] headRows = channels(plan.heads()[i], hd);
            int[] kvRows = PruningPlan.mha(c) ? headRows : range(c.kvDim());
            int[] neurons = plan.neurons()[i];
            for (LayerTensor t : LayerTensor.values()) {
                int[] rows = kept(t.rows(), hidden, headRows, kvRows, neurons);
                if (t == LayerTensor.O_PROJ) // its columns are the heads, where pruned heads may fold into kept ones
                    cuts.add(new Cut(t.name(i), t.name(source), rows, headRows, plan.folds().get(i), hd));
                else if (t.isMatrix())
                    cuts.add(matrix(t.name(i), t.name(source), rows, kept(t.cols(), hidden, headRows, kvRows, neurons)));
                else
                    cuts.add(vector(t.name(i), t.name(source), rows));
            }
        }
        cuts.add(vector(Parameters.NORM_W, Parameters.NORM_W, hidden));
        cuts.add(vector(Parameters.NORM_B, Parameters.NORM_B, hidden));
        // the class's head reads the final norm's channels: its columns go with the pruned embedding channels
        Architecture a = c.architecture();
        if (a.headWeight() != null && c.headMatrixParameters() > 0)
            cuts.add(matrix(a.headWeight(), a.headWeight(), range(c.headOutputs()), hidden));
        if (a.headBias() != null) cuts.add(vector(a.headBias(), a.headBias(), range(c.headOutputs())));
        return cuts;
    }

    /** The source indices a layer keeps along an axis. */
    private static int[] kept(LayerTensor.Axis axis, int[] hidden, int[] heads, int[] keyValue, int[] neurons) {
        return switch (axis) {
            case HIDDEN -> hidden;
            case QUERY -> heads;
            case KEY_VALUE -> keyValue;
            case FFN -> neurons;
        };
    }

    /** The pruned model's tensors, each read from the source row by row as a writer asks for it. */
    public static List<StreamedTensor> stream(TensorRows source, PruningPlan plan) {
        List<StreamedTensor> out = new ArrayList<>();
        for (Cut cut : cuts(source.config(), plan)) {
            int srcCols = Tensor.rowLength(source.shape(cut.from()));
            out.add(new StreamedTensor(cut.to(), cut.shape(), (first, count, dst) -> {
                float[] srcRow = new float[srcCols];
                for (int r = 0; r < count; r++) cut.row(source, first + r, srcRow, dst, r * cut.cols().length);
            }));
        }
        return out;
    }

    /** The pruned model as a heap pool (fresh copies; the source is not touched). */
    public static Parameters apply(Parameters src, PruningPlan plan) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        try {
            for (StreamedTensor s : stream(src, plan)) {
                Tensor x = Tensor.zeros(s.name(), s.shape());
                s.source().rows(0, s.rows(), x.data());
                t.put(s.name(), x);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a heap pool does no I/O
        }
        return Parameters.of(plan.prunedConfig(), t, "pruned model");
    }

    private static Cut matrix(String to, String from, int[] rows, int[] cols) {
        return new Cut(to, from, rows, cols, List.of(), 0);
    }

    private static Cut vector(String to, String from, int[] idx) {
        return new Cut(to, from, null, idx, List.of(), 0);
    }

    /** Channel indices of whole heads: head h covers h*hd .. h*hd+hd-1. */
    private static int[] channels(int[] heads, int hd) {
        int[] c = new int[heads.length * hd];
        for (int i = 0; i < heads.length; i++) for (int j = 0; j < hd; j++) c[i * hd + j] = heads[i] * hd + j;
        return c;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
