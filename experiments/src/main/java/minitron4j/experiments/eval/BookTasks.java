package minitron4j.experiments.eval;

import minitron4j.training.SeededShuffle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluation items cut from a held-out book with a fixed seed: LAMBADA-style last words and
 * HellaSwag-style "which sentence comes next" questions. At most one item comes from a paragraph,
 * so items spread over the book; for a given book and seed the items for n are the first n of those
 * for more.
 */
public final class BookTasks {
    /** Last-word passages (context + target) are kept within these many characters, a few sentences. */
    static final int MIN_PASSAGE = 150, MAX_PASSAGE = 600;
    /**
     * Continuation contexts are shorter, a sentence or two as in HellaSwag: each of the four choices
     * repeats the context in its forward pass, so its length sets the cost of the task.
     */
    static final int MIN_CONTEXT = 60, MAX_CONTEXT = 300;
    /** Target and distractor sentences for the continuation task have this many characters. */
    static final int MIN_SENTENCE = 30, MAX_SENTENCE = 250;
    /** Choices per continuation question: the true next sentence and three distractors. */
    public static final int CHOICES = 4;
    /** Distractors are within this factor of the true sentence's length, so length alone tells nothing. */
    static final double LENGTH_RATIO = 1.4;

    /** The last word of a passage and what may follow it: closing punctuation and quotes only. */
    private static final Pattern LAST_WORD = Pattern.compile(" ([A-Za-z][a-z]{3,})[.!?;,\"')]*$");

    private BookTasks() {
    }

    /**
     * LAMBADA-style items: a passage of whole sentences ending a paragraph's sentence, whose final word
     * (four or more letters, after a space) already occurs earlier in the passage, as the words
     * LAMBADA's annotators could guess mostly do; the context is the passage up to that word and the
     * target is the word without its punctuation.
     */
    public static LastWordTask lastWord(Book book, int items, long seed) {
        checkItems(items);
        List<LastWordTask.Item> candidates = new ArrayList<>();
        for (Book.Chapter chapter : book.chapters()) {
            for (List<String> paragraph : chapter.paragraphs()) {
                LastWordTask.Item best = null;
                for (int end = paragraph.size() - 1; end >= 0 && best == null; end--) {
                    String passage = passage(paragraph, end, MIN_PASSAGE, MAX_PASSAGE);
                    if (passage == null) continue;
                    Matcher m = LAST_WORD.matcher(passage);
                    if (!m.find()) continue;
                    String word = m.group(1), context = passage.substring(0, m.start());
                    if (occursIn(word, context)) best = new LastWordTask.Item(context, word);
                }
                if (best != null) candidates.add(best);
            }
        }
        SeededShuffle.shuffle(candidates, new SplittableRandom(seed));
        return new LastWordTask("lastword", candidates.subList(0, Math.min(items, candidates.size())));
    }

    /**
     * HellaSwag-style items: the context is a sentence or two of a paragraph, the right choice
     * the sentence that follows it there, and three distractors are sentences from other chapters of
     * similar length (within a factor {@link #LENGTH_RATIO}), drawn with the seed.
     */
    public static MultipleChoiceTask continuation(Book book, int items, long seed) {
        checkItems(items);
        record Sentence(int chapter, String text) {
        }
        record Candidate(int chapter, String context, String next) {
        }
        List<Sentence> pool = new ArrayList<>();
        List<Candidate> candidates = new ArrayList<>();
        for (int c = 0; c < book.chapters().size(); c++) {
            for (List<String> paragraph : book.chapters().get(c).paragraphs()) {
                for (String s : paragraph) if (fits(s)) pool.add(new Sentence(c, s));
                Candidate best = null;
                for (int next = paragraph.size() - 1; next >= 1 && best == null; next--) {
                    String context = passage(paragraph, next - 1, MIN_CONTEXT, MAX_CONTEXT);
                    if (context != null && fits(paragraph.get(next))) best = new Candidate(c, context, paragraph.get(next));
                }
                if (best != null) candidates.add(best);
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        SeededShuffle.shuffle(candidates, random);
        List<MultipleChoiceTask.Item> out = new ArrayList<>();
        for (Candidate cand : candidates) {
            if (out.size() == items) break;
            double len = cand.next().length();
            List<String> choices = new ArrayList<>();
            // Rejection sampling: the pool is large and about half of it fits any length window.
            for (int tries = 0; choices.size() < CHOICES - 1 && tries < 10_000; tries++) {
                Sentence s = pool.get(random.nextInt(pool.size()));
                double ratio = s.text().length() / len;
                if (s.chapter() != cand.chapter() && ratio <= LENGTH_RATIO && ratio >= 1 / LENGTH_RATIO
                        && !s.text().equals(cand.next()) && !choices.contains(s.text()))
                    choices.add(s.text());
            }
            if (choices.size() < CHOICES - 1) continue;
            int label = random.nextInt(CHOICES);
            choices.add(label, cand.next());
            out.add(new MultipleChoiceTask.Item(cand.context(), choices, label));
        }
        return new MultipleChoiceTask("continuation", out);
    }

    /**
     * The longest run of whole sentences of a paragraph ending with sentence end that stays within
     * max characters, or null when that is shorter than min.
     */
    private static String passage(List<String> paragraph, int end, int min, int max) {
        String text = paragraph.get(end);
        if (text.length() > max) return null;
        for (int start = end - 1; start >= 0; start--) {
            String longer = paragraph.get(start) + " " + text;
            if (longer.length() > max) break;
            text = longer;
        }
        return text.length() >= min ? text : null;
    }

    private static boolean fits(String sentence) {
        return sentence.length() >= MIN_SENTENCE && sentence.length() <= MAX_SENTENCE;
    }

    private static boolean occursIn(String word, String text) {
        return Pattern.compile("\\b" + Pattern.quote(word.toLowerCase(Locale.ROOT)) + "\\b")
                .matcher(text.toLowerCase(Locale.ROOT)).find();
    }

    private static void checkItems(int items) {
        if (items < 1) throw new IllegalArgumentException("items must be >= 1, got " + items);
    }
}
