package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * HF's BPE model: a word's chars become vocabulary ids (or byte-fallback {@code <0xNN>} ids, or
 * {@code unk}), then the applicable merge of lowest rank is applied, leftmost first, until none applies.
 * The merging runs on a linked list of symbols with a heap of candidate merges, exactly HF's
 * {@code Word::merge_all} (including its check that a queued merge still yields the same token).
 */
final class BpeModel {
    /** Words up to this many chars have their ids cached (HF caches short words too). */
    private static final int CACHED_WORD_CHARS = 64;

    private final Map<String, Integer> vocab;
    private final String[] tokenOfId;
    private final LongIntMap rankOfPair;
    /** Pair and resulting token of each rank; a pair listed twice keeps only its last rank, as in HF. */
    private final long[] pairOfRank;
    private final int[] mergedIdOfRank;
    private final String unkToken;
    private final int unkId;
    /** Why an unknown char cannot become {@code unk_token}; HF fails only when such a char comes. */
    private final String unkProblem;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    /** Id of {@code <0xNN>} for each byte, or -1. */
    private final int[] byteIds = new int[256];
    /** Id of each single-char token of the Basic Multilingual Plane, or -1. */
    private final int[] charIds = new int[0x10000];
    /**
     * A char before whose runs a word can be cut without changing its encoding, or -1 (see
     * {@link #cutsAreExactBefore}); lets a whole SentencePiece-style text be encoded word by word through
     * the cache.
     */
    private final int cutChar;
    private final WordCache cache = new WordCache(1 << 17);
    /** How far ids may run past twice the entry count (gaps are allowed, but the id table is dense). */
    private static final long MAX_ID_SPAN = 1 << 20;

    private BpeModel(Map<String, Integer> vocab, List<String[]> merges, String unkToken, String prefix,
                     String suffix, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges, int cutCandidate,
                     JsonField where) {
        this.vocab = vocab;
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        tokenOfId = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            tokenOfId[e.getValue()] = e.getKey();
        }
        this.unkToken = unkToken;
        this.continuingSubwordPrefix = prefix;
        this.endOfWordSuffix = suffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        unkId = unkToken == null ? -1 : vocab.getOrDefault(unkToken, -1);
        unkProblem = unkToken != null && unkId < 0
                ? where.file() + ": " + where.get("unk_token").path() + ": '" + unkToken + "' is not in the vocabulary"
                : null;

        rankOfPair = new LongIntMap(merges.size());
        pairOfRank = new long[merges.size()];
        mergedIdOfRank = new int[merges.size()];
        int prefixLength = prefix == null ? 0 : prefix.length();
        for (int rank = 0; rank < merges.size(); rank++) {
            String left = merges.get(rank)[0];
            String right = merges.get(rank)[1];
            Integer leftId = vocab.get(left);
            Integer rightId = vocab.get(right);
            // HF joins the two parts with the right part's continuing-subword prefix removed
            String merged = left + (right.length() >= prefixLength ? right.substring(prefixLength) : right);
            Integer mergedId = vocab.get(merged);
            if (leftId == null || rightId == null || mergedId == null) {
                String missing = leftId == null ? left : rightId == null ? right : merged;
                throw where.get("merges").fail("merge " + rank + " (" + left + " " + right
                        + ") to use tokens of the vocabulary, but '" + missing + "' is not in it");
            }
            long pair = LongIntMap.pair(leftId, rightId);
            pairOfRank[rank] = pair;
            mergedIdOfRank[rank] = mergedId;
            rankOfPair.put(pair, rank);
        }

        Arrays.fill(byteIds, -1);
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(byteToken(b), -1);
        }
        Arrays.fill(charIds, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            if (e.getKey().length() == 1) {
                charIds[e.getKey().charAt(0)] = e.getValue();
            }
        }
        cutChar = cutsAreExactBefore(cutCandidate) ? cutCandidate : -1;
    }

    /** The model of a tokenizer.json; {@code cutCandidate} as {@link #cutsAreExactBefore} explains. */
    static BpeModel parse(JsonField field, char cutCandidate) {
        JsonField dropout = field.get("dropout");
        if (!dropout.isNull() && dropout.node().asDouble() != 0.0) {
            throw dropout.unsupported("BPE dropout (random merges)");
        }
        JsonField vocabField = field.get("vocab");
        vocabField.requireObject();
        Map<String, Integer> vocab = new HashMap<>(vocabField.node().size() * 2);
        // The id-to-token table is dense: a stray huge id would ask for gigabytes, or overflow its size.
        long idLimit = MAX_ID_SPAN + 2L * vocabField.node().size();
        for (Map.Entry<String, JsonNode> e : vocabField.node().properties()) {
            if (!e.getValue().canConvertToInt() || !e.getValue().isIntegralNumber() || e.getValue().intValue() < 0) {
                throw vocabField.get(e.getKey()).fail("a non-negative integer id");
            }
            if (e.getValue().intValue() >= idLimit) {
                throw vocabField.get(e.getKey()).fail("an id below " + idLimit + " for a vocabulary of " + vocabField.node().size() + " entries");
            }
            vocab.put(e.getKey(), e.getValue().intValue());
        }
        JsonField mergesField = field.get("merges");
        List<String[]> merges = new ArrayList<>(mergesField.node().size());
        for (JsonField merge : mergesField.elements()) {
            JsonNode node = merge.node();
            if (node.isTextual()) {
                // the older "left right" form; HF splits at every space and wants exactly two parts
                String[] parts = node.textValue().split(" ", -1);
                if (parts.length != 2) {
                    throw merge.fail("\"left right\" with exactly one space");
                }
                merges.add(parts);
            } else if (node.isArray() && node.size() == 2 && node.get(0).isTextual() && node.get(1).isTextual()) {
                merges.add(new String[] {node.get(0).textValue(), node.get(1).textValue()});
            } else {
                throw merge.fail("a pair [left, right] of strings");
            }
        }
        return new BpeModel(vocab, merges, field.get("unk_token").stringOrNull(),
                field.get("continuing_subword_prefix").stringOrNull(), field.get("end_of_word_suffix").stringOrNull(),
                field.get("fuse_unk").bool(false), field.get("byte_fallback").bool(false),
                field.get("ignore_merges").bool(false), cutCandidate, field);
    }

    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    /**
     * Whether {@link #tokenize} may cut words where a run of {@code c} begins (before Metaspace's "▁"
     * when it does not split). Exact when no merge makes a token in which another char precedes
     * {@code c} (then no symbol ever spans such a cut, so the parts merge independently and in the same
     * order), {@code c} is a token (so unknown chars never fuse across the cut), the merges are not
     * skipped by {@code ignore_merges} and no prefix or suffix marks a word's inner or last char.
     * SentencePiece vocabularies qualify: "▁" occurs inside their tokens only in runs such as "▁▁▁▁".
     */
    private boolean cutsAreExactBefore(int c) {
        if (ignoreMerges || continuingSubwordPrefix != null || endOfWordSuffix != null || charIds[c] < 0) {
            return false;
        }
        for (int merged : mergedIdOfRank) {
            String token = tokenOfId[merged];
            for (int i = 1; i < token.length(); i++) {
                if (token.charAt(i) == c && token.charAt(i - 1) != c) {
                    return false;
                }
            }
        }
        return true;
    }

    int vocabSize() {
        return tokenOfId.length;
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    /** The token of an id, or null where the vocabulary has none. */
    String idToToken(int id) {
        return id >= 0 && id < tokenOfId.length ? tokenOfId[id] : null;
    }

    void tokenize(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) {
                out.add(id);
                return;
            }
        }
        if (cutChar < 0) {
            addMerged(word, 0, word.length(), out);
            return;
        }
        int start = 0;
        for (int i = 1; i < word.length(); i++) {
            if (word.charAt(i) == cutChar && word.charAt(i - 1) != cutChar) {
                addMerged(word, start, i, out);
                start = i;
            }
        }
        addMerged(word, start, word.length(), out);
    }

    /** The ids of {@code text[from, to)}, from the cache where it holds them. */
    private void addMerged(String text, int from, int to, IntList out) {
        if (to - from > CACHED_WORD_CHARS) {
            merge(text.substring(from, to), out);
            return;
        }
        int hash = WordCache.hash(text, from, to);
        int[] ids = cache.get(text, from, to, hash);
        if (ids == null) {
            String word = text.substring(from, to);
            IntList merged = new IntList(word.length());
            merge(word, merged);
            ids = merged.toArray();
            cache.put(word, hash, ids);
        }
        out.addAll(ids);
    }

    /** HF's {@code merge_word}: chars to symbols, then {@code merge_all}; the ids go to {@code out}. */
    private void merge(String word, IntList out) {
        // without merges the symbols are the result: they go straight out (a whole text may be one word)
        Symbols symbols = pairOfRank.length == 0 ? null : new Symbols(word.length() + 4);
        byte[] utf8 = new byte[4];
        int pendingUnkLength = 0;
        boolean plainChars = continuingSubwordPrefix == null && endOfWordSuffix == null;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int charLength = Character.charCount(cp);
            boolean first = i == 0;
            boolean last = i + charLength == word.length();
            int id;
            String piece = null;
            if (plainChars && charLength == 1) {
                id = charIds[cp];
            } else {
                piece = word.substring(i, i + charLength);
                if (!first && continuingSubwordPrefix != null) {
                    piece = continuingSubwordPrefix + piece;
                }
                if (last && endOfWordSuffix != null) {
                    piece = piece + endOfWordSuffix;
                }
                id = vocab.getOrDefault(piece, -1);
            }
            i += charLength;
            if (id >= 0) {
                if (pendingUnkLength > 0) {
                    add(symbols, out, unkId, pendingUnkLength);
                    pendingUnkLength = 0;
                }
                add(symbols, out, id, charLength);
                continue;
            }
            if (byteFallback) {
                byte[] bytes = piece == null ? utf8 : piece.getBytes(StandardCharsets.UTF_8);
                int byteCount = piece == null ? Utf8.encode(cp, utf8) : bytes.length;
                boolean allKnown = true;
                for (int k = 0; k < byteCount; k++) {
                    allKnown &= byteIds[bytes[k] & 0xFF] >= 0;
                }
                if (allKnown) {
                    // HF adds the byte tokens without first flushing a pending unk; kept as HF does
                    for (int k = 0; k < byteCount; k++) {
                        add(symbols, out, byteIds[bytes[k] & 0xFF], 1);
                    }
                    continue;
                }
            }
            if (unkToken != null) {
                if (unkProblem != null) {
                    throw new ModelFormatException(unkProblem);
                }
                if (pendingUnkLength > 0 && !fuseUnk) {
                    add(symbols, out, unkId, pendingUnkLength);
                    pendingUnkLength = 0;
                }
                pendingUnkLength += charLength;
            }
            // without an unk token HF drops the char
        }
        if (pendingUnkLength > 0) {
            add(symbols, out, unkId, pendingUnkLength);
        }
        if (symbols != null) {
            symbols.mergeAll(out);
        }
    }

    private static void add(Symbols symbols, IntList out, int id, int length) {
        if (symbols == null) {
            out.add(id);
        } else {
            symbols.add(id, length);
        }
    }

    /** HF's {@code Word}: symbols in an array, linked as a list; a merged-away symbol gets length 0. */
    private final class Symbols {
        int[] id;
        int[] length;
        int[] prev;
        int[] next;
        int count;

        Symbols(int capacity) {
            id = new int[capacity];
            length = new int[capacity];
            prev = new int[capacity];
            next = new int[capacity];
        }

        void add(int token, int chars) {
            if (count == id.length) {
                int grown = count * 2;
                id = Arrays.copyOf(id, grown);
                length = Arrays.copyOf(length, grown);
                prev = Arrays.copyOf(prev, grown);
                next = Arrays.copyOf(next, grown);
            }
            id[count] = token;
            length[count] = chars;
            prev[count] = count - 1;
            next[count] = -1;
            if (count > 0) {
                next[count - 1] = count;
            }
            count++;
        }

        void mergeAll(IntList out) {
            if (count > 1) {
                // candidate merges ordered by rank, then position: (rank << 32 | position)
                LongHeap queue = new LongHeap(count);
                for (int i = 0; i + 1 < count; i++) {
                    int rank = rankOfPair.get(LongIntMap.pair(id[i], id[i + 1]), -1);
                    if (rank >= 0) {
                        queue.push(((long) rank << 32) | i);
                    }
                }
                while (!queue.isEmpty()) {
                    long top = queue.pop();
                    int rank = (int) (top >>> 32);
                    int pos = (int) top;
                    if (length[pos] == 0 || next[pos] < 0) {
                        continue;
                    }
                    int right = next[pos];
                    int currentRank = rankOfPair.get(LongIntMap.pair(id[pos], id[right]), -1);
                    int newId = mergedIdOfRank[rank];
                    if (currentRank < 0 || mergedIdOfRank[currentRank] != newId) {
                        continue;
                    }
                    id[pos] = newId;
                    length[pos] += length[right];
                    next[pos] = next[right];
                    length[right] = 0;
                    if (next[right] >= 0) {
                        prev[next[right]] = pos;
                    }
                    if (prev[pos] >= 0) {
                        int r = rankOfPair.get(LongIntMap.pair(id[prev[pos]], newId), -1);
                        if (r >= 0) {
                            queue.push(((long) r << 32) | prev[pos]);
                        }
                    }
                    if (next[pos] >= 0) {
                        int r = rankOfPair.get(LongIntMap.pair(newId, id[next[pos]]), -1);
                        if (r >= 0) {
                            queue.push(((long) r << 32) | pos);
                        }
                    }
                }
            }
            for (int i = 0; i < count; i++) {
                if (length[i] != 0) {
                    out.add(id[i]);
                }
            }
        }
    }

    /** The model as HF writes it: vocab in id order, merges as pairs in rank order. */
    ObjectNode toJson(ObjectNode original) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("type", "BPE");
        node.set("dropout", original.has("dropout") ? original.get("dropout") : JsonNodeFactory.instance.nullNode());
        putNullable(node, "unk_token", unkToken);
        putNullable(node, "continuing_subword_prefix", continuingSubwordPrefix);
        putNullable(node, "end_of_word_suffix", endOfWordSuffix);
        node.put("fuse_unk", fuseUnk);
        node.put("byte_fallback", byteFallback);
        node.put("ignore_merges", ignoreMerges);
        ObjectNode vocabNode = node.putObject("vocab");
        for (int id = 0; id < tokenOfId.length; id++) {
            if (tokenOfId[id] != null) {
                vocabNode.put(tokenOfId[id], id);
            }
        }
        ArrayNode mergesNode = node.putArray("merges");
        for (int rank = 0; rank < pairOfRank.length; rank++) {
            if (rankOfPair.get(pairOfRank[rank], -1) == rank) {
                mergesNode.addArray()
                        .add(tokenOfId[LongIntMap.left(pairOfRank[rank])])
                        .add(tokenOfId[LongIntMap.right(pairOfRank[rank])]);
            }
        }
        return node;
    }

    private static void putNullable(ObjectNode node, String name, String value) {
        if (value == null) {
            node.putNull(name);
        } else {
            node.put(name, value);
        }
    }
}
