package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.backend.Backend;
import minitron4j.training.task.ExampleBatches;
import minitron4j.training.task.TaskPredictions;
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
        TaskModelFolder m = TaskModelFolder.open(model, Architecture.SEQUENCE_CLASSIFICATION, backend.backend(), seqLen);
        List<String> labels = m.config().head().labels();
        ArrayNode out = JsonOutput.JSON.createArrayNode();
        int labeled = 0, right = 0;
        try (Backend.Session session = backend.backend().open(m.params())) {
            int rows = m.rows(batch);
            for (int from = 0; from < items.size(); from += rows) {
                List<JsonNode> part = items.subList(from, Math.min(items.size(), from + rows));
                List<int[]> ids = part.stream().map(x -> m.encoder().text(x.get("text").asText())).toList();
                int seq = ids.stream().mapToInt(x -> x.length).max().orElse(1);
                Batch b = ExampleBatches.inputs(ids, seq, m.padId());
                float[] outputs = session.forward(b);
                for (int r = 0; r < part.size(); r++) {
                    double[] p = TaskPredictions.sequence(m.config(), outputs, b, r);
                    int best = 0;
                    for (int j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
                    ObjectNode o = out.addObject();
                    String text = part.get(r).get("text").asText();
                    o.put("text", text);
                    o.put("label", labels.get(best));
                    ObjectNode probs = o.putObject(p.length == 1 ? "value" : "probabilities");
                    for (int j = 0; j < p.length; j++) probs.put(labels.get(j), p[j]);
                    JsonNode gold = part.get(r).get("label");
                    if (gold != null && gold.isTextual()) {
                        labeled++;
                        right += gold.asText().equals(labels.get(best)) ? 1 : 0;
                    }
                    System.out.printf(Locale.ROOT, "%s\t%.4f\t%s%n", labels.get(best), p[best], text.length() > 80 ? text.substring(0, 77) + "..." : text);
                }
            }
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
