package minitron4j.model;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The model-card classes a Nemotron checkpoint can be, named by config.json's {@code architectures}:
 * one decoder trunk (the base model) under a class-specific head. Inside this project the trunk's
 * tensors are always named {@code model.*}; a checkpoint names them with its class's
 * {@link #basePrefix} (HF's {@code base_model_prefix}: none for the bare NemotronModel, and
 * {@code transformer.} for question answering, as HF's Llama-derived heads keep for compatibility).
 */
public enum Architecture {
    /** Next-token logits through {@code lm_head} [V, H] (or the tied embedding). */
    CAUSAL_LM("NemotronForCausalLM", "model.", null),
    /** The trunk alone: the last hidden state after the final LayerNorm1P. */
    BASE("NemotronModel", "", null),
    /** {@code score} [num_labels, H], no bias, pooled at each row's last non-padding token. */
    SEQUENCE_CLASSIFICATION("NemotronForSequenceClassification", "model.", "sequence-classification"),
    /** {@code qa_outputs} [2, H] with bias: start and end logits per position. */
    QUESTION_ANSWERING("NemotronForQuestionAnswering", "transformer.", "question-answering"),
    /** Dropout, then {@code score} [num_labels, H] with bias, at every position. */
    TOKEN_CLASSIFICATION("NemotronForTokenClassification", "model.", "token-classification");

    private static final String TRUNK = "model.";

    private final String hfName, basePrefix, task;

    Architecture(String hfName, String basePrefix, String task) {
        this.hfName = hfName;
        this.basePrefix = basePrefix;
        this.task = task;
    }

    /** The class name HF writes in {@code architectures}. */
    public String hfName() {
        return hfName;
    }

    /** The prefix of the trunk's tensor names in a checkpoint of this class. */
    public String basePrefix() {
        return basePrefix;
    }

    /** The {@code --task} name of a fine-tuning head; null for the causal LM and the base model. */
    public String task() {
        return task;
    }

    /** The head's weight tensor, [outputs, H]; null for the base model. */
    public String headWeight() {
        return switch (this) {
            case CAUSAL_LM -> "lm_head.weight";
            case BASE -> null;
            case SEQUENCE_CLASSIFICATION, TOKEN_CLASSIFICATION -> "score.weight";
            case QUESTION_ANSWERING -> "qa_outputs.weight";
        };
    }

    /** The head's bias [outputs]; null where HF's head has none. */
    public String headBias() {
        return switch (this) {
            case CAUSAL_LM, BASE, SEQUENCE_CLASSIFICATION -> null;
            case TOKEN_CLASSIFICATION -> "score.bias";
            case QUESTION_ANSWERING -> "qa_outputs.bias";
        };
    }

    /** Whether this class takes labels from config.json's id2label (the two classification heads). */
    public boolean hasLabels() {
        return this == SEQUENCE_CLASSIFICATION || this == TOKEN_CLASSIFICATION;
    }

    /** A tensor's name in a checkpoint of this class, from its name inside the project. */
    public String fileKey(String internal) {
        return internal.startsWith(TRUNK) ? basePrefix + internal.substring(TRUNK.length()) : internal;
    }

    /** Whether a project-internal name belongs to the head rather than the trunk. */
    public static boolean isHead(String internal) {
        return !internal.startsWith(TRUNK);
    }

    /** The class config.json's {@code architectures} names (its first entry, as HF's auto classes read it). */
    public static Architecture ofHfName(String name) {
        for (Architecture a : values()) if (a.hfName.equals(name)) return a;
        return null;
    }

    /** The class of a {@code --task} name, or an error that lists the three. */
    public static Architecture ofTask(String task) {
        for (Architecture a : values()) if (task.equals(a.task)) return a;
        throw new IllegalArgumentException("--task must be one of " + tasks() + ", not " + task);
    }

    /** The HF class names this project reads. */
    public static String hfNames() {
        return Arrays.stream(values()).map(Architecture::hfName).collect(Collectors.joining(", "));
    }

    static List<String> tasks() {
        return Arrays.stream(values()).map(Architecture::task).filter(t -> t != null).toList();
    }
}
