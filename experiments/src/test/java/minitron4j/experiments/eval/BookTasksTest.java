package minitron4j.experiments.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BookTasksTest {
    private static final String[] WORDS = {"whale", "captain", "harpoon", "ocean", "sailor", "deck", "boat", "rope",
            "storm", "ship", "wind", "night", "island", "anchor", "mast", "lantern", "compass", "voyage"};

    @TempDir
    static Path bookDir;

    /** A made-up book in the stdlib layout: chapter files (10 sorts after 2 by number) and an epilogue. */
    private static Book book() throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        for (String name : List.of("chapter_1", "chapter_2", "chapter_10", "epilogue")) {
            StringBuilder text = new StringBuilder("CHAPTER " + name + ". A Title.\n\n");
            for (int p = 0; p < 30; p++) {
                for (int s = 0; s < 5; s++) {
                    int words = 6 + r.nextInt(10);
                    StringBuilder sentence = new StringBuilder("The");
                    for (int w = 0; w < words; w++) sentence.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
                    text.append(sentence).append(s == 4 ? ".\n" : ". ");
                }
                text.append('\n');
            }
            Files.writeString(bookDir.resolve(name + ".txt"), text);
        }
        return Book.read(bookDir);
    }

    @Test
    void sentencesEndAtPunctuationBeforeACapitalButNotAfterTitlesOrInitials() {
        assertEquals(List.of("Mr. Starbuck said so.", "Then he left!", "\"Is it?\" she asked.", "J. Ross was there."),
                Book.sentences("Mr. Starbuck said so. Then he left! \"Is it?\" she asked. J. Ross was there."));
        assertEquals(List.of("Call me Ishmael.", "Some years ago—never mind how long precisely—having little money."),
                Book.sentences("Call me Ishmael. Some years ago—never mind how long precisely—having little money."));
    }

    @Test
    void chaptersAreReadInNumericOrderWithoutHeadings() throws IOException {
        Book b = book();
        assertEquals(List.of("chapter_1", "chapter_2", "chapter_10", "epilogue"), b.chapters().stream().map(Book.Chapter::name).toList());
        assertEquals(30, b.chapters().getFirst().paragraphs().size());
        assertEquals(5, b.chapters().getFirst().paragraphs().getFirst().size());
    }

    @Test
    void lastWordItemsCutAPassageBeforeAWordItAlreadyContains() throws IOException {
        LastWordTask t = BookTasks.lastWord(book(), 50, 0);
        assertEquals(50, t.items().size());
        for (LastWordTask.Item item : t.items()) {
            assertTrue(item.context().toLowerCase(Locale.ROOT).contains(item.word().toLowerCase(Locale.ROOT)), item.toString());
            assertTrue(item.word().matches("[A-Za-z]{4,}"), item.word());
            int passage = item.context().length() + 1 + item.word().length() + 1;
            assertTrue(passage >= BookTasks.MIN_PASSAGE && passage <= BookTasks.MAX_PASSAGE, item.toString());
            assertTrue(!item.context().endsWith(" "), "the space belongs to the continuation");
        }
    }

    @Test
    void continuationItemsHoldTheTrueNextSentenceAndLengthMatchedDistractors() throws IOException {
        Book b = book();
        MultipleChoiceTask t = BookTasks.continuation(b, 40, 0);
        assertEquals(40, t.items().size());
        for (MultipleChoiceTask.Item item : t.items()) {
            assertEquals(4, Set.copyOf(item.choices()).size());
            String right = item.choices().get(item.label());
            assertTrue(followsInSomeParagraph(b, item.context(), right), item.toString());
            for (String c : item.choices()) {
                double ratio = (double) c.length() / right.length();
                assertTrue(ratio <= BookTasks.LENGTH_RATIO && ratio >= 1 / BookTasks.LENGTH_RATIO, c + " vs " + right);
            }
        }
    }

    private static boolean followsInSomeParagraph(Book b, String context, String next) {
        for (Book.Chapter c : b.chapters())
            for (List<String> p : c.paragraphs())
                if (String.join(" ", p).contains(context + " " + next)) return true;
        return false;
    }

    @Test
    void theSameSeedGivesTheSameItemsAndMoreItemsExtendFewer() throws IOException {
        Book b = book();
        assertEquals(BookTasks.lastWord(b, 30, 5), BookTasks.lastWord(b, 30, 5));
        assertEquals(BookTasks.lastWord(b, 30, 5).items().subList(0, 10), BookTasks.lastWord(b, 10, 5).items());
        assertNotEquals(BookTasks.lastWord(b, 30, 5).items(), BookTasks.lastWord(b, 30, 6).items());
        assertEquals(BookTasks.continuation(b, 30, 5), BookTasks.continuation(b, 30, 5));
        assertEquals(BookTasks.continuation(b, 30, 5).items().subList(0, 10), BookTasks.continuation(b, 10, 5).items());
        assertNotEquals(BookTasks.continuation(b, 30, 5).items(), BookTasks.continuation(b, 30, 6).items());
    }

    @Test
    void builtTasksAreCachedAndReadBack(@TempDir Path cache) throws IOException {
        book();
        LastWordTask lw = BuiltinTasks.lastWord(bookDir, cache, 20, 3);
        MultipleChoiceTask ct = BuiltinTasks.continuation(bookDir, cache, 20, 3);
        assertTrue(Files.exists(BuiltinTasks.cacheFile(cache, BuiltinTasks.LAST_WORD, 20, 3)));
        assertEquals(lw, BuiltinTasks.lastWord(bookDir, cache, 20, 3));
        assertEquals(ct, BuiltinTasks.continuation(bookDir, cache, 20, 3));
    }
}
