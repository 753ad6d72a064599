package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Trains a SentencePiece-style BPE tokenizer in the layout of the Nemotron/Minitron tokenizer.json:
 * {@code <unk>}=0, {@code <pad>}=1, {@code <s>}=2, {@code </s>}=3, the byte tokens {@code <0x00>..<0xFF>}
 * = 4..259 (ordinary vocabulary entries, for byte fallback), then the alphabet, then one token per merge.
 * Metaspace "▁" (prepended to the first piece, no split), a post-processor that puts {@code <s>} first,
 * decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(1 leading space).
 *
 * <p>Training units are the words of that pre-tokenization cut before every "▁" (as HF trains with
 * {@code split: true}) and where letters and digits meet punctuation; runs of newlines and chars outside
 * the alphabet are cut out as well, so no merge crosses them (those chars fall back to bytes, and byte
 * tokens are never merged). Words are counted
 * first, then merges are chosen greedily by count with incremental pair counts; ties go to the pair of
 * smaller ids, so training is deterministic. {@link #maxChars} caps the text read (whole documents in
 * order, the last one cut).
 *
 * @param vocabSize     the total vocabulary, specials and byte tokens included (at least 260 + 1)
 * @param minFrequency  a pair must occur this often to be merged, a char this often to enter the alphabet
 * @param alphabetLimit at most this many distinct chars get a token of their own (the most frequent)
 * @param maxChars      train on at most this many chars of the documents
 */
public record BpeTrainer(int vocabSize, int minFrequency, int alphabetLimit, long maxChars) {
    private static final char MARK = '\u2581';
    private static final String[] SPECIALS = {"<unk>", "<pad>", "<s>", "</s>"};
    private static final int RESERVED = SPECIALS.length + 256;

    public BpeTrainer {
        if (vocabSize <= RESERVED) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " leaves no room beyond the "
                    + RESERVED + " special and byte tokens");
        }
        if (minFrequency < 1 || alphabetLimit < 1 || maxChars < 1) {
            throw new IllegalArgumentException("minFrequency, alphabetLimit and maxChars must be positive");
        }
    }

    /** Pairs seen at least twice, up to 1000 alphabet chars, all of the text. */
    public BpeTrainer(int vocabSize) {
        this(vocabSize, 2, 1000, Long.MAX_VALUE);
    }

    public HfTokenizer train(List<String> documents) {
        Map<String, int[]> wordCounts = countWords(documents);
        String[] alphabet = alphabet(wordCounts);
        List<String> vocab = new ArrayList<>(List.of(SPECIALS));
        for (int b = 0; b < 256; b++) {
            vocab.add(BpeModel.byteToken(b));
        }
        vocab.addAll(Arrays.asList(alphabet));
        Merger merger = new Merger(vocab, unitsOver(wordCounts, alphabet));
        List<long[]> merges = merger.run();
        return HfTokenizer.fromJson(json(vocab, merges), "trained BPE tokenizer");
    }

    /** Words of the Metaspace pre-tokenization (cut before "▁" and around newline runs), with counts. */
    private Map<String, int[]> countWords(List<String> documents) {
        Map<String, int[]> counts = new HashMap<>();
        long budget = maxChars;
        for (String document : documents) {
            if (budget <= 0) {
                break;
            }
            String text = document.length() > budget ? document.substring(0, (int) budget) : document;
            budget -= text.length();
            if (text.isEmpty()) {
                continue;
            }
            String marked = text.replace(' ', MARK);
            if (marked.charAt(0) != MARK) {
                marked = MARK + marked;
            }
            int start = 0;
            for (int i = 1; i <= marked.length(); i++) {
                if (i == marked.length() || cutsBefore(marked.charAt(i - 1), marked.charAt(i))) {
                    counts.computeIfAbsent(marked.substring(start, i), w -> new int[1])[0]++;
                    start = i;
                }
            }
        }
        return counts;
    }

    /**
     * Where training words end: before "▁", around newline runs, and where letters and digits meet
     * punctuation (so that "policy," is learnt as "policy" and ","); "▁" stays with what follows it.
     */
    private static boolean cutsBefore(char previous, char c) {
        if (c == MARK || (c == '\n') != (previous == '\n')) {
            return true;
        }
        return previous != MARK && isWordChar(previous) != isWordChar(c);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || Character.getType(c) == Character.NON_SPACING_MARK
                || Character.isSurrogate(c);
    }

    /** The chars that get tokens: frequent enough, the most frequent first (ties by code point). */
    private String[] alphabet(Map<String, int[]> wordCounts) {
        Map<Integer, long[]> charCounts = new HashMap<>();
        for (Map.Entry<String, int[]> e : wordCounts.entrySet()) {
            int count = e.getValue()[0];
            e.getKey().codePoints().forEach(cp -> charCounts.computeIfAbsent(cp, c -> new long[1])[0] += count);
        }
        int room = vocabSize - RESERVED;
        return charCounts.entrySet().stream()
                .filter(e -> e.getValue()[0] >= minFrequency)
                .sorted((x, y) -> x.getValue()[0] != y.getValue()[0]
                        ? Long.compare(y.getValue()[0], x.getValue()[0]) : Integer.compare(x.getKey(), y.getKey()))
                .limit(Math.min(alphabetLimit, room))
                .map(e -> Character.toString(e.getKey()))
                .toArray(String[]::new);
    }

    /** The words cut at chars outside the alphabet (they fall back to bytes, which never merge). */
    private static Map<String, int[]> unitsOver(Map<String, int[]> wordCounts, String[] alphabet) {
        Set<Integer> known = new HashSet<>();
        for (String c : alphabet) {
            known.add(c.codePointAt(0));
        }
        Map<String, int[]> units = new HashMap<>();
        for (Map.Entry<String, int[]> e : wordCounts.entrySet()) {
            String word = e.getKey();
            int start = 0;
            for (int i = 0; i <= word.length(); ) {
                int cp = i < word.length() ? word.codePointAt(i) : -1;
                if (cp < 0 || !known.contains(cp)) {
                    if (i > start) {
                        units.computeIfAbsent(word.substring(start, i), w -> new int[1])[0] += e.getValue()[0];
                    }
                    if (cp < 0) {
                        break;
                    }
                    i += Character.charCount(cp);
                    start = i;
                } else {
                    i += Character.charCount(cp);
                }
            }
        }
        return units;
    }

    /**
     * The merge loop: symbols of every distinct unit, the count of every adjacent pair (weighted by unit
     * count), the units each pair occurs in, and a heap of pairs by count with stale entries skipped.
     */
    private final class Merger {
        private final List<String> vocab;
        private final Map<String, Integer> idOf = new HashMap<>();
        private final int[][] symbols;
        private final int[] lengths;
        private final int[] counts;
        private final LongIntMap pairCounts = new LongIntMap(1 << 16);
        private final Map<Long, IntList> pairUnits = new HashMap<>();
        private final PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) ->
                x[0] != y[0] ? Long.compare(y[0], x[0]) : Long.compare(x[1], y[1]));

        Merger(List<String> vocab, Map<String, int[]> units) {
            this.vocab = vocab;
            for (int id = 0; id < vocab.size(); id++) {
                idOf.put(vocab.get(id), id);
            }
            String[] sorted = units.keySet().toArray(String[]::new);
            Arrays.sort(sorted);
            symbols = new int[sorted.length][];
            lengths = new int[sorted.length];
            counts = new int[sorted.length];
            for (int u = 0; u < sorted.length; u++) {
                symbols[u] = sorted[u].codePoints().map(cp -> idOf.get(Character.toString(cp))).toArray();
                lengths[u] = symbols[u].length;
                counts[u] = units.get(sorted[u])[0];
                for (int i = 0; i + 1 < lengths[u]; i++) {
                    long pair = LongIntMap.pair(symbols[u][i], symbols[u][i + 1]);
                    pairCounts.add(pair, counts[u]);
                    pairUnits.computeIfAbsent(pair, p -> new IntList(4)).add(u);
                }
            }
            for (long pair : pairUnits.keySet()) {
                heap.add(new long[] {pairCounts.get(pair, 0), pair});
            }
        }

        /** Merges as (left, right) id pairs, in order; the vocabulary grows by their new tokens. */
        List<long[]> run() {
            List<long[]> merges = new ArrayList<>();
            int[] lastVisit = new int[symbols.length];
            Arrays.fill(lastVisit, -1);
            while (vocab.size() < vocabSize && !heap.isEmpty()) {
                long[] top = heap.poll();
                long pair = top[1];
                int count = pairCounts.get(pair, 0);
                if (top[0] != count || count == 0) {
                    continue; // stale: the pair's count changed and was queued again
                }
                if (count < minFrequency) {
                    break;
                }
                String merged = vocab.get(LongIntMap.left(pair)) + vocab.get(LongIntMap.right(pair));
                Integer existing = idOf.get(merged);
                if (existing != null && existing < RESERVED) {
                    pairCounts.put(pair, 0); // would spell a special or byte token: never merge it
                    continue;
                }
                int newId = existing != null ? existing : vocab.size();
                if (existing == null) {
                    vocab.add(merged);
                    idOf.put(merged, newId);
                }
                merges.add(new long[] {LongIntMap.left(pair), LongIntMap.right(pair)});
                LongIntMap changed = new LongIntMap(64);
                IntList where = pairUnits.remove(pair);
                for (int k = 0; k < where.size(); k++) {
                    int u = where.get(k);
                    if (lastVisit[u] == merges.size()) {
                        continue;
                    }
                    lastVisit[u] = merges.size();
                    mergeIn(u, pair, newId, changed);
                }
                changed.forEachKey(p -> {
                    int now = pairCounts.get(p, 0);
                    if (now > 0) {
                        heap.add(new long[] {now, p});
                    }
                });
            }
            return merges;
        }

        /** Replaces each occurrence of {@code pair} in unit u, left to right, and updates pair counts. */
        private void mergeIn(int u, long pair, int newId, LongIntMap changed) {
            int[] s = symbols[u];
            int n = lengths[u];
            int left = LongIntMap.left(pair);
            int right = LongIntMap.right(pair);
            boolean found = false;
            for (int i = 0; i + 1 < n && !found; i++) {
                found = s[i] == left && s[i + 1] == right;
            }
            if (!found) {
                return; // listed for a pair it has since lost
            }
            for (int i = 0; i + 1 < n; i++) {
                long p = LongIntMap.pair(s[i], s[i + 1]);
                pairCounts.add(p, -counts[u]);
                changed.put(p, 1);
            }
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == left && s[i + 1] == right) {
                    s[m++] = newId;
                    i++;
                } else {
                    s[m++] = s[i];
                }
            }
            lengths[u] = m;
            for (int i = 0; i + 1 < m; i++) {
                long p = LongIntMap.pair(s[i], s[i + 1]);
                pairCounts.add(p, counts[u]);
                changed.put(p, 1);
                if (s[i] == newId || s[i + 1] == newId) {
                    pairUnits.computeIfAbsent(p, q -> new IntList(4)).add(u);
                }
            }
        }
    }

    private static ObjectNode json(List<String> vocab, List<long[]> merges) {
        ObjectNode root = TokenizerJson.root(0, SPECIALS);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Metaspace");
        pre.put("replacement", String.valueOf(MARK));
        pre.put("prepend_scheme", "first");
        pre.put("split", false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.add(templatePiece("SpecialToken", "<s>", 0));
        single.add(templatePiece("Sequence", "A", 0));
        ArrayNode pair = post.putArray("pair");
        pair.add(templatePiece("SpecialToken", "<s>", 0));
        pair.add(templatePiece("Sequence", "A", 0));
        pair.add(templatePiece("SpecialToken", "<s>", 1));
        pair.add(templatePiece("Sequence", "B", 1));
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(2);
        bos.putArray("tokens").add("<s>");
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "Sequence");
        ArrayNode steps = decoder.putArray("decoders");
        ObjectNode replace = steps.addObject();
        replace.put("type", "Replace");
        replace.putObject("pattern").put("String", String.valueOf(MARK));
        replace.put("content", " ");
        steps.addObject().put("type", "ByteFallback");
        steps.addObject().put("type", "Fuse");
        ObjectNode strip = steps.addObject();
        strip.put("type", "Strip");
        strip.put("content", " ");
        strip.put("start", 1);
        strip.put("stop", 0);
        ObjectNode model = TokenizerJson.bpeModel("<unk>", true);
        ObjectNode vocabNode = model.putObject("vocab");
        for (int id = 0; id < vocab.size(); id++) {
            vocabNode.put(vocab.get(id), id);
        }
        ArrayNode mergesNode = model.putArray("merges");
        for (long[] merge : merges) {
            mergesNode.addArray().add(vocab.get((int) merge[0])).add(vocab.get((int) merge[1]));
        }
        root.set("model", model);
        return root;
    }

    private static ObjectNode templatePiece(String kind, String id, int typeId) {
        ObjectNode piece = JsonNodeFactory.instance.objectNode();
        ObjectNode body = piece.putObject(kind);
        body.put("id", id);
        body.put("type_id", typeId);
        return piece;
    }
}
