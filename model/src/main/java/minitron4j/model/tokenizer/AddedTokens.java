package minitron4j.model.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * HF's added vocabulary: tokens matched in the text before the model sees it. Non-normalized tokens are
 * found in the raw input first; the stretches between them are normalized and then searched for the
 * normalized tokens. Matching is leftmost-longest, then {@code single_word} may reject a match and
 * {@code lstrip}/{@code rstrip} widen it over neighbouring whitespace.
 */
final class AddedTokens {

    record AddedToken(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                      boolean special) {
    }

    private final Map<Integer, AddedToken> tokenOfId;
    private final Map<String, Integer> idOfContent;
    /** The normalized form of a normalized token where the normalizer changes it; HF matches and decodes it. */
    private final Map<Integer, String> normalizedContent;
    private final Set<String> specialContents;
    private final Trie rawTrie;
    private final Trie normalizedTrie;

    /**
     * Registers the tokens as HF's {@code add_tokens} does: a token that is in the model vocabulary keeps
     * the model's id, the others get ids from the model's vocabulary size on, in order.
     */
    AddedTokens(List<AddedToken> tokens, BpeModel model, int modelVocabEntries, Normalizer normalizer) {
        tokenOfId = new LinkedHashMap<>();
        idOfContent = new HashMap<>();
        normalizedContent = new HashMap<>();
        specialContents = new HashSet<>();
        int nextId = modelVocabEntries;
        for (AddedToken token : tokens) {
            if (token.content().isEmpty()) {
                continue;
            }
            Integer known = idOfContent.get(token.content());
            if (known != null && token.equals(tokenOfId.get(known))) {
                continue;
            }
            Integer id = known != null ? known : model.tokenToId(token.content());
            if (id == null) {
                id = nextId++;
            }
            if (token.normalized() && normalizer != null) {
                String normalized = normalizer.apply(Piece.of(token.content())).text;
                if (!normalized.equals(token.content())) {
                    normalizedContent.put(id, normalized);
                }
            }
            idOfContent.put(token.content(), id);
            if (token.special()) {
                specialContents.add(token.content());
            }
            tokenOfId.put(id, token);
        }
        rawTrie = new Trie();
        normalizedTrie = new Trie();
        for (Map.Entry<Integer, AddedToken> e : tokenOfId.entrySet()) {
            AddedToken token = e.getValue();
            if (token.normalized()) {
                normalizedTrie.add(normalizedContent.getOrDefault(e.getKey(), token.content()), e.getKey());
            } else {
                rawTrie.add(token.content(), e.getKey());
            }
        }
    }

    Integer idOf(String content) {
        return idOfContent.get(content);
    }

    /** The token text HF gives an added id (its normalized form where the normalizer changes it), or null. */
    String tokenOf(int id) {
        AddedToken token = tokenOfId.get(id);
        return token == null ? null : normalizedContent.getOrDefault(id, token.content());
    }

    boolean isSpecial(String tokenText) {
        return specialContents.contains(tokenText);
    }

    int maxId() {
        int max = -1;
        for (int id : tokenOfId.keySet()) {
            max = Math.max(max, id);
        }
        return max;
    }

    /** HF's {@code extract_and_normalize}: the input as added-token pieces and normalized text pieces. */
    List<Piece> extractAndNormalize(String text, Normalizer normalizer) {
        List<Piece> out = new ArrayList<>();
        if (text.isEmpty()) {
            return out;
        }
        List<Piece> raw = new ArrayList<>();
        split(Piece.of(text), rawTrie, raw);
        for (Piece piece : raw) {
            if (piece.tokenId >= 0) {
                out.add(piece);
                continue;
            }
            Piece normalized = normalizer == null ? piece : normalizer.apply(piece);
            split(normalized, normalizedTrie, out);
        }
        return out;
    }

    /** HF's {@code find_matches} + {@code split_with_indices}; empty pieces are left out. */
    private void split(Piece piece, Trie trie, List<Piece> out) {
        String s = piece.text;
        if (trie.isEmpty()) {
            if (!s.isEmpty()) {
                out.add(piece);
            }
            return;
        }
        int startOffset = 0;
        int i = 0;
        while (i < s.length()) {
            long match = trie.longestAt(s, i);
            if (match < 0) {
                i++;
                continue;
            }
            int id = (int) (match >>> 32);
            int start = i;
            int stop = (int) match;
            // the search resumes after the match itself, even where rstrip widens it (as in HF)
            i = stop;
            AddedToken token = tokenOfId.get(id);
            if (token.singleWord()) {
                boolean spaceBefore = start == 0 || !CharClass.isWordChar(s.codePointBefore(start));
                boolean spaceAfter = stop == s.length() || !CharClass.isWordChar(s.codePointAt(stop));
                if (!spaceBefore || !spaceAfter) {
                    continue;
                }
            }
            if (token.lstrip()) {
                int newStart = start;
                while (newStart > 0 && CharClass.isWhiteSpace(s.codePointBefore(newStart))) {
                    newStart -= Character.charCount(s.codePointBefore(newStart));
                }
                start = Math.max(newStart, startOffset);
            }
            if (token.rstrip()) {
                while (stop < s.length() && CharClass.isWhiteSpace(s.codePointAt(stop))) {
                    stop += Character.charCount(s.codePointAt(stop));
                }
            }
            if (startOffset < start) {
                out.add(piece.slice(startOffset, start));
            }
            out.add(piece.slice(start, stop).asToken(id));
            startOffset = stop;
        }
        if (startOffset < s.length()) {
            out.add(startOffset == 0 ? piece : piece.slice(startOffset, s.length()));
        }
    }

    /** A char trie over token contents for leftmost-longest search. */
    private static final class Trie {
        private final Node root = new Node();
        private final boolean[] firstChar = new boolean[0x10000];
        private boolean empty = true;

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>(4);
            int id = -1;
        }

        void add(String content, int id) {
            Node node = root;
            for (int i = 0; i < content.length(); i++) {
                node = node.children.computeIfAbsent(content.charAt(i), c -> new Node());
            }
            node.id = id;
            firstChar[content.charAt(0)] = true;
            empty = false;
        }

        boolean isEmpty() {
            return empty;
        }

        /** The longest token starting at {@code from} as {@code id << 32 | end}, or -1. */
        long longestAt(String s, int from) {
            if (!firstChar[s.charAt(from)]) {
                return -1;
            }
            Node node = root;
            long best = -1;
            for (int i = from; i < s.length(); i++) {
                node = node.children.get(s.charAt(i));
                if (node == null) {
                    break;
                }
                if (node.id >= 0) {
                    best = ((long) node.id << 32) | (i + 1);
                }
            }
            return best;
        }
    }
}
