package minitron4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * HF's decoders: each maps the list of token strings to a new list ({@code decode_chain}); the result
 * of the last is concatenated. Implemented: Sequence, Replace, ByteFallback, Fuse, Strip, Metaspace,
 * ByteLevel.
 */
sealed interface TextDecoder {

    List<String> decodeChain(List<String> tokens);

    static TextDecoder parse(JsonField field) {
        String type = field.type();
        return switch (type) {
            case "Sequence" -> {
                List<TextDecoder> steps = new ArrayList<>();
                for (JsonField step : field.get("decoders").elements()) {
                    steps.add(parse(step));
                }
                yield new Sequence(List.copyOf(steps));
            }
            case "Replace" -> new Replace(TextPattern.parse(field.get("pattern")), field.get("content").string());
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(field.get("content").codePoint(), field.get("start").nonNegative(),
                    field.get("stop").nonNegative());
            case "Metaspace" -> {
                PreTokenizer.Metaspace metaspace = PreTokenizer.Metaspace.parse(field);
                yield new Metaspace(metaspace.replacement(),
                        metaspace.prependScheme() != PreTokenizer.PrependScheme.NEVER);
            }
            case "ByteLevel" -> new ByteLevel();
            default -> throw field.get("type").unsupported("decoder type '" + type + "'");
        };
    }

    record Sequence(List<TextDecoder> steps) implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            for (TextDecoder step : steps) {
                tokens = step.decodeChain(tokens);
            }
            return tokens;
        }
    }

    record Replace(TextPattern pattern, String content) implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int[] spans = pattern.findAll(token);
                StringBuilder s = new StringBuilder(token.length());
                int at = 0;
                for (int k = 0; k < spans.length; k += 2) {
                    s.append(token, at, spans[k]).append(content);
                    at = spans[k + 1];
                }
                out.add(s.append(token, at, token.length()).toString());
            }
            return out;
        }
    }

    /**
     * Runs of {@code <0xNN>} tokens become the text their bytes spell; a run that is not valid UTF-8
     * becomes one U+FFFD per byte.
     */
    record ByteFallback() implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            ByteArrayOutputStream run = new ByteArrayOutputStream();
            for (String token : tokens) {
                int b = byteValue(token);
                if (b >= 0) {
                    run.write(b);
                    continue;
                }
                flush(run, out);
                out.add(token);
            }
            flush(run, out);
            return out;
        }

        private static void flush(ByteArrayOutputStream run, List<String> out) {
            if (run.size() == 0) {
                return;
            }
            String text = Utf8.decodeStrict(run.toByteArray(), run.size());
            if (text != null) {
                out.add(text);
            } else {
                for (int i = 0; i < run.size(); i++) {
                    out.add(String.valueOf(Utf8.REPLACEMENT));
                }
            }
            run.reset();
        }

        /** The byte of a {@code <0xNN>} token, or -1 (HF parses NN with Rust's u8 parser, which takes "+N"). */
        private static int byteValue(String token) {
            if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
                return -1;
            }
            int high = token.charAt(3) == '+' ? 0 : hexDigit(token.charAt(3));
            int low = hexDigit(token.charAt(4));
            return high < 0 || low < 0 ? -1 : high * 16 + low;
        }

        private static int hexDigit(char c) {
            return c < 0x80 ? Character.digit(c, 16) : -1;
        }
    }

    record Fuse() implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} chars of each token. */
    record Strip(int content, int start, int stop) implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String token : tokens) {
                int[] chars = token.codePoints().toArray();
                int startCut = 0;
                while (startCut < Math.min(start, chars.length) && chars[startCut] == content) {
                    startCut++;
                }
                int stopCut = chars.length;
                for (int i = 0; i < stop && stopCut > startCut && chars[stopCut - 1] == content; i++) {
                    stopCut--;
                }
                out.add(new String(chars, startCut, stopCut - startCut));
            }
            return out;
        }
    }

    /** The replacement char back to a space, except in the first token where the pre-tokenizer added it. */
    record Metaspace(char replacement, boolean dropsFirst) implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String token = tokens.get(i);
                out.add(i == 0 && dropsFirst
                        ? token.replace(String.valueOf(replacement), "")
                        : token.replace(replacement, ' '));
            }
            return out;
        }
    }

    /**
     * Alphabet chars back to bytes (a token with a char outside the alphabet contributes its own UTF-8),
     * all tokens joined and read as UTF-8 with replacement of ill-formed bytes.
     */
    record ByteLevel() implements TextDecoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (String token : tokens) {
                int[] chars = token.codePoints().toArray();
                byte[] mapped = new byte[chars.length];
                boolean inAlphabet = true;
                for (int i = 0; i < chars.length && inAlphabet; i++) {
                    int b = ByteLevelAlphabet.byteOf(chars[i]);
                    inAlphabet = b >= 0;
                    mapped[i] = (byte) b;
                }
                bytes.writeBytes(inAlphabet ? mapped : token.getBytes(StandardCharsets.UTF_8));
            }
            return List.of(Utf8.decodeLossy(bytes.toByteArray(), bytes.size()));
        }
    }
}
