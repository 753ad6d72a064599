package minitron4j.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import minitron4j.model.ModelFormatException;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.ProblemType;
import minitron4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checkpoints of every model-card class in HF's key layout: the base model without a prefix, QA's
 * base model under {@code transformer.}, the heads' own tensors; config.json's architectures,
 * id2label, label2id and problem_type; and the errors for what HF would not load either.
 */
class ModelClassCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static NemotronConfig config(Architecture a) {
        List<String> labels = a.hasLabels() ? List.of("neg", "neu", "pos") : HeadSpec.defaultLabels(2);
        ProblemType p = a == Architecture.SEQUENCE_CLASSIFICATION ? ProblemType.SINGLE_LABEL : null;
        return NemotronConfig.of(29, 8, 12, 2, 2, 1, 4, false).withHead(new HeadSpec(a, labels, p));
    }

    /** The keys HF's state_dict of each class holds (layer tensors of layer 0 only, for brevity). */
    static Set<String> hfKeys(Architecture a) {
        String p = switch (a) {
            case BASE -> "";
            case QUESTION_ANSWERING -> "transformer.";
            default -> "model.";
        };
        Set<String> keys = new TreeSet<>(List.of(p + "embed_tokens.weight", p + "norm.weight", p + "norm.bias",
                p + "layers.0.self_attn.q_proj.weight", p + "layers.0.mlp.up_proj.weight", p + "layers.0.input_layernorm.bias"));
        switch (a) {
            case CAUSAL_LM -> keys.add("lm_head.weight");
            case SEQUENCE_CLASSIFICATION -> keys.add("score.weight");
            case TOKEN_CLASSIFICATION -> keys.addAll(List.of("score.weight", "score.bias"));
            case QUESTION_ANSWERING -> keys.addAll(List.of("qa_outputs.weight", "qa_outputs.bias"));
            case BASE -> {
            }
        }
        return keys;
    }

    private static Set<String> fileKeys(Path model) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("model.safetensors"))) {
            return new TreeSet<>(f.names());
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void savesInHfLayoutAndLoadsBack(Architecture a) throws IOException {
        NemotronConfig c = config(a);
        Parameters p = Parameters.initialize(c, 3);
        Path out = dir.resolve(a.name());
        Checkpoint.save(out, c, p, Dtype.F32);

        Set<String> keys = fileKeys(out);
        for (String k : hfKeys(a)) assertTrue(keys.contains(k), a + " lacks " + k + ": " + keys);
        for (String k : keys) {
            String trunk = a.basePrefix();
            boolean head = k.startsWith("lm_head.") || k.startsWith("score.") || k.startsWith("qa_outputs.");
            assertTrue(head || k.startsWith(trunk), a + ": " + k + " is neither a head tensor nor under " + trunk);
        }
        JsonNode json = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(a.hfName(), json.get("architectures").get(0).asText());
        if (a.hasLabels()) {
            assertEquals("neu", json.get("id2label").get("1").asText());
            assertEquals(2, json.get("label2id").get("pos").asInt());
        }

        Checkpoint.LoadedModel back = Checkpoint.load(out);
        assertEquals(c.head(), back.config().head());
        for (Tensor t : p.tensors()) assertArrayEquals(t.data(), back.params().data(t.name()), t.name());
        if (a.headBias() != null) for (float b : p.data(a.headBias())) assertEquals(0f, b, "HF initialises head biases to 0");
    }

    @Test
    void convertStreamsEveryClassUnderItsOwnKeys() throws IOException {
        NemotronConfig c = config(Architecture.QUESTION_ANSWERING);
        Checkpoint.save(dir.resolve("qa"), c, Parameters.initialize(c, 1), Dtype.F32);
        Checkpoint.convert(dir.resolve("qa"), dir.resolve("qa16"), Optional.of(Dtype.BF16));
        assertEquals(fileKeys(dir.resolve("qa")), fileKeys(dir.resolve("qa16")));
        assertEquals(Architecture.QUESTION_ANSWERING, Checkpoint.load(dir.resolve("qa16")).config().architecture());
    }

    @Test
    void aCheckpointUnderAnotherClassPrefixIsNamed() throws IOException {
        // HF does not load model.* keys into NemotronForQuestionAnswering (its base model is transformer.*)
        NemotronConfig seq = config(Architecture.SEQUENCE_CLASSIFICATION);
        Path out = dir.resolve("m");
        Checkpoint.save(out, seq, Parameters.initialize(seq, 1), Dtype.F32);
        ObjectNode json = (ObjectNode) JSON.readTree(out.resolve("config.json").toFile());
        json.putArray("architectures").add("NemotronForQuestionAnswering");
        JSON.writeValue(out.resolve("config.json").toFile(), json);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.load(out));
        assertTrue(e.getMessage().contains("transformer.") && e.getMessage().contains("model."), e.getMessage());
    }

    @Test
    void configFieldsOfTheHeadsAreCheckedAsHfChecksThem() throws IOException {
        String base = "{\"model_type\":\"nemotron\",\"vocab_size\":29,\"hidden_size\":8,\"intermediate_size\":12,"
                + "\"num_hidden_layers\":2,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":4,";
        assertEquals(HeadSpec.defaultLabels(5), parse(base + "\"num_labels\":5}").head().labels());
        assertEquals(HeadSpec.defaultLabels(2), parse(base + "\"architectures\":[\"NemotronModel\"]}").head().labels());
        assertEquals(NemotronConfig.NO_PAD, parse(base + "\"pad_token_id\":null}").padTokenId());
        assertError(base + "\"architectures\":[\"LlamaForCausalLM\"]}", "architectures");
        assertError(base + "\"problem_type\":\"ranking\"}", "problem_type");
        assertError(base + "\"num_labels\":1,\"problem_type\":\"single_label_classification\"}", "problem_type");
        assertError(base + "\"id2label\":{\"0\":\"a\",\"2\":\"b\"}}", "id2label");
        assertError(base + "\"classifier_dropout\":1.5}", "classifier_dropout");
        // HF warns about a num_labels that id2label contradicts and keeps id2label
        assertEquals(List.of("a", "b"), parse(base + "\"id2label\":{\"0\":\"a\",\"1\":\"b\"},\"num_labels\":3}").head().labels());
    }

    private NemotronConfig parse(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return NemotronConfig.load(dir);
    }

    private void assertError(String json, String field) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> NemotronConfig.load(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("field " + field), e.getMessage());
    }
}
