package minitron4j.model.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * HF's post-processors for a single sequence: TemplateProcessing (special tokens around {@code $A}),
 * ByteLevel (which only adjusts offsets, so leaves ids alone) and Sequence.
 */
sealed interface PostProcessor {

    int[] apply(int[] ids);

    /** The id this processor puts first, if it starts the sequence with a special token (BOS). */
    OptionalInt leadingSpecialId();

    static PostProcessor parse(JsonField field) {
        String type = field.type();
        return switch (type) {
            case "TemplateProcessing" -> Template.parse(field);
            case "ByteLevel" -> new ByteLevel();
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonField step : field.get("processors").elements()) {
                    steps.add(parse(step));
                }
                yield new Sequence(List.copyOf(steps));
            }
            default -> throw field.get("type").unsupported("post_processor type '" + type + "'");
        };
    }

    /** The {@code single} template: each element is the input ({@code $A}) or a special token's ids. */
    record Template(List<int[]> single) implements PostProcessor {
        /** Marks the place of the input sequence in {@link #single}. */
        private static final int[] INPUT = new int[0];

        static Template parse(JsonField field) {
            JsonField specialsField = field.get("special_tokens");
            specialsField.requireObject();
            Map<String, int[]> specials = new HashMap<>();
            for (String name : (Iterable<String>) () -> specialsField.node().fieldNames()) {
                List<JsonField> ids = specialsField.get(name).get("ids").elements();
                int[] values = new int[ids.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = ids.get(i).nonNegative();
                }
                specials.put(name, values);
            }
            List<int[]> single = new ArrayList<>();
            for (JsonField piece : field.get("single").elements()) {
                if (piece.has("SpecialToken")) {
                    JsonField id = piece.get("SpecialToken").get("id");
                    int[] ids = specials.get(id.string());
                    if (ids == null) {
                        throw id.fail("a token listed in special_tokens");
                    }
                    single.add(ids);
                } else if (piece.has("Sequence")) {
                    JsonField id = piece.get("Sequence").get("id");
                    if (!id.string().equals("A")) {
                        throw id.fail("\"A\" (the single template has one sequence)");
                    }
                    single.add(INPUT);
                } else {
                    throw piece.fail("{\"SpecialToken\": ...} or {\"Sequence\": ...}");
                }
            }
            // the pair template is not used (no pair encoding) but must be well-formed, as HF checks
            field.get("pair").elements();
            return new Template(List.copyOf(single));
        }

        @Override
        public int[] apply(int[] ids) {
            IntList out = new IntList(ids.length + 4);
            for (int[] part : single) {
                out.addAll(part == INPUT ? ids : part);
            }
            return out.toArray();
        }

        @Override
        public OptionalInt leadingSpecialId() {
            return single.isEmpty() || single.getFirst() == INPUT || single.getFirst().length == 0
                    ? OptionalInt.empty() : OptionalInt.of(single.getFirst()[0]);
        }
    }

    record ByteLevel() implements PostProcessor {
        @Override
        public int[] apply(int[] ids) {
            return ids;
        }

        @Override
        public OptionalInt leadingSpecialId() {
            return OptionalInt.empty();
        }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override
        public int[] apply(int[] ids) {
            for (PostProcessor step : steps) {
                ids = step.apply(ids);
            }
            return ids;
        }

        @Override
        public OptionalInt leadingSpecialId() {
            // the last step that puts a special token in front is the one whose token comes first
            OptionalInt leading = OptionalInt.empty();
            for (PostProcessor step : steps) {
                OptionalInt id = step.leadingSpecialId();
                if (id.isPresent()) {
                    leading = id;
                }
            }
            return leading;
        }
    }
}
