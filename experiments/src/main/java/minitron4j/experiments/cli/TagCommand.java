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
import java.util.concurrent.Callable;

/** A tag per word, from a token-classification checkpoint (the tag of each word's first token, as it was trained). */
@Command(name = "tag", description = "Tag the words of texts (--text, split on spaces, or a JSONL file of {tokens[, tags]}) with a NemotronForTokenClassification.")
final class TagCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "a NemotronForTokenClassification folder (e.g. a finetune checkpoint)")
    Path model;
    @Option(names = "--text", description = "a text, its words separated by spaces (repeatable)")
    List<String> texts = new ArrayList<>();
    @Option(names = "--input", description = "JSONL of {\"tokens\": [...]} (with \"tags\": accuracy is reported too)")
    Path input;
    @Option(names = "--seq-len", defaultValue = "512", description = "longer inputs are cut to this many tokens (default ${DEFAULT-VALUE})")
    int seqLen;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        List<JsonNode> items = new ArrayList<>();
        for (String t : texts) {
            ObjectNode o = JsonOutput.object();
            ArrayNode words = o.putArray("tokens");
            for (String w : t.trim().split("\\s+")) words.add(w);
            items.add(o);
        }
        if (input != null) items.addAll(TaskInputs.items(List.of(), input, "tokens"));
        if (items.isEmpty()) throw new IllegalArgumentException("nothing to do: give --text or --input FILE.jsonl");
        TaskModelFolder m = TaskModelFolder.open(model, Architecture.TOKEN_CLASSIFICATION, backend.backend());
        ArrayNode out = JsonOutput.JSON.createArrayNode();
        int tagged = 0, right = 0;
        try (Backend.Session session = backend.backend().open(m.params())) {
            TaskInference inference = new TaskInference(session, m.tokenizer(), seqLen);
            for (JsonNode item : items) {
                List<String> words = new ArrayList<>();
                item.get("tokens").forEach(w -> words.add(w.asText()));
                List<String> tags = inference.tag(words);
                ArrayNode pairs = out.addObject().putArray("tagged");
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < words.size(); i++) {
                    String tag = tags.get(i);
                    pairs.addObject().put("token", words.get(i)).put("tag", tag);
                    line.append(words.get(i)).append('/').append(tag == null ? "-" : tag).append(' ');
                    JsonNode gold = item.path("tags").path(i);
                    if (tag != null && gold.isTextual()) {
                        tagged++;
                        right += gold.asText().equals(tag) ? 1 : 0;
                    }
                }
                System.out.println(line.toString().strip());
            }
        }
        ObjectNode result = JsonOutput.object();
        result.set("results", out);
        if (tagged > 0) {
            result.put("accuracy", (double) right / tagged);
            result.put("tagged", tagged);
        }
        JsonOutput.print(result);
        return 0;
    }
}
