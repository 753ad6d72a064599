package minitron4j.model;

/**
 * The sequence-classification loss config.json's {@code problem_type} names (HF's
 * ForSequenceClassificationLoss): mean squared error, cross-entropy over one label, or binary
 * cross-entropy with logits over independent labels.
 */
public enum ProblemType {
    REGRESSION("regression"),
    SINGLE_LABEL("single_label_classification"),
    MULTI_LABEL("multi_label_classification");

    private final String hfName;

    ProblemType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** The type of an HF name, or null for a name HF does not know. */
    public static ProblemType ofHfName(String name) {
        for (ProblemType p : values()) if (p.hfName.equals(name)) return p;
        return null;
    }

    /**
     * HF's inference when config.json leaves problem_type unset: one label is a regression, integer
     * labels are single-label classification, anything else (float multi-hot rows) multi-label.
     */
    public static ProblemType infer(int numLabels, boolean integerLabels) {
        if (numLabels == 1) return REGRESSION;
        return integerLabels ? SINGLE_LABEL : MULTI_LABEL;
    }
}
