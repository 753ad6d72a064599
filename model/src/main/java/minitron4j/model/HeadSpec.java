package minitron4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Which model-card class a config describes and, for the classification heads, its labels (HF's
 * id2label, in id order) and problem_type (null: inferred from the labels at the first loss, as HF
 * does). Every config carries labels, as every HF config does (two, LABEL_0 and LABEL_1, by default).
 */
public record HeadSpec(Architecture architecture, List<String> labels, ProblemType problemType) {
    public HeadSpec {
        if (architecture == null) throw new IllegalArgumentException("an architecture is required");
        labels = List.copyOf(labels);
        if (labels.isEmpty()) throw new IllegalArgumentException("num_labels must be at least 1");
        if (problemType == ProblemType.SINGLE_LABEL && labels.size() < 2)
            throw new IllegalArgumentException("problem_type single_label_classification needs num_labels > 1, got " + labels.size());
    }

    /** The causal LM with HF's default two labels. */
    public static HeadSpec causalLm() {
        return new HeadSpec(Architecture.CAUSAL_LM, defaultLabels(2), null);
    }

    /** HF's names for n labels without id2label: LABEL_0 .. LABEL_{n-1}. */
    public static List<String> defaultLabels(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add("LABEL_" + i);
        return l;
    }

    public int numLabels() {
        return labels.size();
    }

    /** The id of a label name, or -1. */
    public int labelId(String name) {
        return labels.indexOf(name);
    }

    public HeadSpec withArchitecture(Architecture a) {
        return new HeadSpec(a, labels, problemType);
    }

    /**
     * The sequence-classification loss this head computes: config.json's problem_type, else HF's
     * inference from num_labels and whether the labels are integers (class ids).
     */
    public ProblemType problemType(boolean integerLabels) {
        return problemType != null ? problemType : ProblemType.infer(numLabels(), integerLabels);
    }
}
