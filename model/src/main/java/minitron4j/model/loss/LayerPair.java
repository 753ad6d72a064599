package minitron4j.model.loss;

import java.util.ArrayList;
import java.util.List;

/**
 * A (student, teacher) pair of post-norm hidden states compared by the intermediate-state loss.
 *
 * <p>Post-norm hidden state k (1 &lt;= k &lt;= L): the residual stream after k decoder layers (HF's
 * hidden_states.k) as the LayerNorm1P that reads it next sees it, i.e. that norm's output: the
 * input_layernorm output of layer k for k &lt; L, and the final norm {@code model.norm} output for
 * k = L (which is exactly HF's hidden_states.L). Taking the norm output rather than the raw
 * residual keeps the two models' scales comparable and is what the next layer actually reads.
 *
 * @param student index k into the student (1..its layers)
 * @param teacher index k into the teacher (1..its layers)
 */
public record LayerPair(int student, int teacher) {

    /**
     * Parses "s:t,s:t,..." (e.g. "2:4,4:8"); an empty or blank text gives no pairs.
     */
    public static List<LayerPair> parse(String text) {
        List<LayerPair> pairs = new ArrayList<>();
        if (text == null || text.isBlank()) return pairs;
        for (String part : text.split(",")) {
            String[] st = part.strip().split(":");
            try {
                if (st.length != 2) throw new NumberFormatException();
                pairs.add(new LayerPair(Integer.parseInt(st[0].strip()), Integer.parseInt(st[1].strip())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("intermediate pair \"" + part.strip()
                        + "\" is not STUDENT:TEACHER (two hidden-state indices, e.g. 2:4)");
            }
        }
        return pairs;
    }

    /** "s:t". */
    @Override
    public String toString() {
        return student + ":" + teacher;
    }

    /** Checks both indices against the layer counts, naming the pair. */
    void check(int studentLayers, int teacherLayers) {
        if (student < 1 || student > studentLayers)
            throw new IllegalArgumentException("intermediate pair " + this + ": student index " + student
                    + " outside 1.." + studentLayers + " (hidden state after k layers)");
        if (teacher < 1 || teacher > teacherLayers)
            throw new IllegalArgumentException("intermediate pair " + this + ": teacher index " + teacher
                    + " outside 1.." + teacherLayers + " (hidden state after k layers)");
    }
}
