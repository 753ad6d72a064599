package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Architecture;
import minitron4j.model.backend.Backend;
import minitron4j.training.task.TaskInference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** The best answer span of a question in its context, from a question-answering checkpoint. */
@Command(name = "qa", description = "Answer questions from their context (--question with --context, or a JSONL file of {question, context[, answer]}).")
final class QaCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a NemotronForQuestionAnswering folder (e.g. a finetune checkpoint)")
    Path model;
    @Option(names = "--question", description = "the question (with --context)")
    String question;
    @Option(names = "--context", description = "the text that holds the answer")
    String context;
    @Option(names = "--input", description = "JSONL of {\"question\", \"context\"} (with \"answer\": exact match is reported too)")
    Path input;
    @Option(names = "--seq-len", defaultValue = "512", description = "question + context are cut to this many tokens (default ${DEFAULT-VALUE})")
    int seqLen;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        if ((question == null) != (context == null)) throw new IllegalArgumentException("--question and --context go together");
        List<JsonNode> items = TaskInputs.items(question == null ? List.of() : List.of(question), input, "question", "context");
        if (question != null) ((ObjectNode) items.getFirst()).put("context", context);
        TaskModelFolder m = TaskModelFolder.open(model, Architecture.QUESTION_ANSWERING, backend.backend());
        ArrayNode out = JsonOutput.JSON.createArrayNode();
        int withAnswer = 0, exact = 0;
        try (Backend.Session session = backend.backend().open(m.params())) {
            TaskInference inference = new TaskInference(session, m.tokenizer(), seqLen);
            for (JsonNode item : items) {
                TaskInference.Answer a = inference.answer(item.get("question").asText(), item.get("context").asText());
                ObjectNode o = out.addObject();
                o.put("question", item.get("question").asText());
                o.put("answer", a.text());
                o.put("start_token", a.startToken());
                o.put("end_token", a.endToken());
                o.put("score", a.score());
                if (a.contextCut()) {
                    o.put("context_cut", true);
                    System.err.println("qa: the context of \"" + item.get("question").asText() + "\" was cut at --seq-len " + seqLen
                            + " tokens; an answer beyond that cannot be found");
                }
                if (item.hasNonNull("answer")) {
                    withAnswer++;
                    exact += item.get("answer").asText().strip().equals(a.text()) ? 1 : 0;
                }
                System.out.println(item.get("question").asText() + "\t" + a.text());
            }
        }
        ObjectNode result = JsonOutput.object();
        result.set("answers", out);
        if (withAnswer > 0) {
            result.put("exact_match", (double) exact / withAnswer);
            result.put("answered", withAnswer);
        }
        JsonOutput.print(result);
        return 0;
    }
}
