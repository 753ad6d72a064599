package minitron4j.training.task;

/**
 * One encoded example of a task: its token ids and its targets, those of its task only (the rest
 * -100 or null).
 *
 * @param classId sequence classification, single-label: the label's id
 * @param values  sequence classification: regression (num_labels values) or multi-label (a 0/1 row)
 * @param tags    token classification: a tag id per token, -100 where no tag applies
 * @param start   question answering: the answer's first token
 * @param end     question answering: the answer's last token
 * @param contextStart question answering: the context's first token (spans are searched from there)
 */
public record LabeledExample(int[] ids, int classId, float[] values, int[] tags, int start, int end, int contextStart) {
}
