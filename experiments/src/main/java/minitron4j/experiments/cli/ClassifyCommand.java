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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Labels and probabilities of texts from a sequence-classification checkpoint. */
@Command(name = "classify", description = "Classify texts (--text, or a JSONL file of {text[, label]}) with a NemotronForSequenceClassification.")
final class ClassifyCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a NemotronForSequenceClassification folder (e.g. a finetune checkpoint)")
    Path model;
    @Option(names = "--text", description = "a text to classify (repeatable)")
    List<String> texts = new ArrayList<>();
    @Option(names = "--input", description = "JSONL of {\"text\"} (with \"label\": accuracy is reported too)")
    Path input;
    @Option(names = "--batch", defaultValue = "8", description = "texts per forward pass (default ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--seq-len", defaultValue = "512", description = "longer texts are cut to this many tokens (default ${DEFAULT-VALUE})")
    int seqLen;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        List<JsonNode> items = TaskInputs.items(texts, input, "text");
        TaskModelFolder m = TaskModelFolder.open(model, Architecture.SEQUENCE_CLASSIFICATION, backend.backend());
        List<String> labels = m.params().config().head().labels();
        List<TaskInference.Classification> results;
        try (Backend.Session session = backend.backend().open(m.params())) {
            results = new TaskInference(session, m.tokenizer(), seqLen).classify(items.stream().map(x -> x.get("text").asText()).toList(), batch);
        }
        ArrayNode out = JsonOutput.JSON.createArrayNode();
        int labeled = 0, right = 0;
        for (int i = 0; i < items.size(); i++) {
            TaskInference.Classification c = results.get(i);
            String text = items.get(i).get("text").asText();
            ObjectNode o = out.addObject();
            o.put("text", text);
            o.put("label", c.label());
            ObjectNode probs = o.putObject(c.probabilities().length == 1 ? "value" : "probabilities");
            for (int j = 0; j < c.probabilities().length; j++) probs.put(labels.get(j), c.probabilities()[j]);
            JsonNode gold = items.get(i).get("label");
            if (gold != null && gold.isTextual()) {
                labeled++;
                right += gold.asText().equals(c.label()) ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "%s\t%.4f\t%s%n", c.label(), c.probabilities()[labels.indexOf(c.label())],
                    text.length() > 80 ? text.substring(0, 77) + "..." : text);
        }
        ObjectNode result = JsonOutput.object();
        result.set("predictions", out);
        if (labeled > 0) {
            result.put("accuracy", (double) right / labeled);
            result.put("labeled", labeled);
        }
        JsonOutput.print(result);
        return 0;
    }
}
