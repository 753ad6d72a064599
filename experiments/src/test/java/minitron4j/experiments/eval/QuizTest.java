package minitron4j.experiments.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class QuizTest {

    /** Lines in the real files' format: optional parts, alternatives, brackets, quoting and continuations. */
    private static final String PRES = """
            {G{eorge} }Washington:1789-{17}97:{J{ohn} }Adams:{J{ohn} }Adams
            {J{ohn} }Adams:1797-1801:{T{homas} }Jefferson:{T{homas} }Jefferson
            {T{homas} }Jefferson:1801-{{18}0}9:{A{aron} }Burr|{G{eorge} }Clinton:\\
            {J{ames} }Madison
            {J{ames} }Madison:1809-{18}17:{G{eorge} }Clinton|{E{lbridge} }Gerry:\\
            {J{ames} }Monroe
            {J{ames} }Monroe:1817-1825:\\
            {D{aniel} }{D{.} }Tompkins:{J{ohn} }{Q{uincy} }Adams
            {J{ohn} }{Q{uincy} }Adams:1825-{{18}2}9:{J{ohn} }{C{aldwell} }Calhoun:\\
            {A{ndrew} }Jackson
            """;
    private static final String BARD = """
            To be{,} or not to be{\\:}:\\
            that is the question{\\:}:\\
            Hamlet{ III-i}:\\
            Hamlet
            """;
    private static final String EUROPE = """
            Albania:Tirana
            Andorra:Andorra la V[ell|iej]a
            Armenia:Yerevan
            Austria:Vienna|Wien
            Belgium:Brussels
            Russia:Moscow
            """;
    private static final String ASIA = """
            Russia:Moscow
            Japan:Tokyo
            """;

    @Test
    void patternsReadAsTheQuizManualSays() {
        QuizPattern p = QuizPattern.parse("{G{eorge} }Washington");
        assertEquals("George Washington", p.canonical());
        assertEquals(Set.of("George Washington", "G Washington", "Washington"), p.expansions());
        assertTrue(p.accepts("washington") && p.accepts("G  Washington"));
        assertFalse(p.accepts("George"));
        assertEquals("1809", QuizPattern.parse("{{18}0}9").canonical());
        assertEquals("Andorra la Vella", QuizPattern.parse("Andorra la V[ell|iej]a").canonical());
        assertTrue(QuizPattern.parse("Andorra la V[ell|iej]a").accepts("Andorra la Vieja"));
        assertEquals("William I", QuizPattern.parse("W[illia|]m [I|1|the Conqueror]").canonical());
        assertTrue(QuizPattern.parse("W[illia|]m [I|1|the Conqueror]").accepts("Wm the Conqueror"));
        assertEquals("forget-me-not", QuizPattern.parse("forget{-| }me{-| }not").canonical());
        assertEquals("Alabama", QuizPattern.parse("Alabama|Ala|AL").canonical());
        assertEquals("that is the question:", QuizPattern.parse("that is the question{\\:}").canonical());
        assertTrue(QuizPattern.parse("").isEmpty());
    }

    @Test
    void malformedPatternsAreReportedWithFileAndLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> QuizFile.parse("a:b\nx:{unclosed\n", "sample"));
        assertTrue(e.getMessage().startsWith("sample:2: '{' at column 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> QuizFile.parse("a]:b\n", "sample"));
        assertTrue(e.getMessage().contains("sample:1: unmatched ']'"), e.getMessage());
    }

    @Test
    void continuationLinesAndQuotedColonsMakeOneSet() {
        List<QuizFile.Entry> pres = QuizFile.parse(PRES, "pres");
        assertEquals(6, pres.size());
        assertEquals(3, pres.get(2).line());
        assertEquals("James Madison", pres.get(2).category(3).canonical());
        assertTrue(pres.get(2).category(2).accepts("George Clinton"));
        List<QuizFile.Entry> bard = QuizFile.parse(BARD, "bard");
        assertEquals(1, bard.size());
        assertEquals(List.of("To be, or not to be:", "that is the question:", "Hamlet III-i", "Hamlet"),
                bard.getFirst().categories().stream().map(QuizPattern::canonical).toList());
        assertTrue(bard.getFirst().category(7).isEmpty());
    }

    private static Map<String, List<QuizFile.Entry>> sample() {
        Map<String, List<QuizFile.Entry>> files = new LinkedHashMap<>();
        files.put("pres", QuizFile.parse(PRES, "pres"));
        files.put("europe", QuizFile.parse(EUROPE, "europe"));
        files.put("asia", QuizFile.parse(ASIA, "asia"));
        return files;
    }

    @Test
    void questionsAreFourWayWithTheRightAnswerAtTheLabelAndFairDistractors() {
        MultipleChoiceTask t = QuizQuestions.build(sample(), 100, 0);
        // 6 presidents and 6 European capitals; Russia once, though asia and europe both ask it.
        assertEquals(12, t.items().size());
        assertEquals(1, t.items().stream().filter(i -> i.context().equals("The capital of Russia is")).count());
        for (MultipleChoiceTask.Item item : t.items()) {
            assertEquals(4, item.choices().size());
            assertEquals(4, Set.copyOf(item.choices()).size(), "distinct choices: " + item);
            if (item.context().equals("The capital of Austria is")) {
                assertEquals("Vienna", item.choices().get(item.label()));
                assertFalse(item.choices().contains("Wien"));
            }
            if (item.context().startsWith("George Washington was succeeded"))
                assertEquals("John Adams", item.choices().get(item.label()));
        }
        // Distractors come from the same file, and asia holds one other answer: too few, so Japan is skipped.
        assertTrue(t.items().stream().noneMatch(i -> i.context().contains("Japan")));
    }

    @Test
    void theSameSeedGivesTheSameQuestionsAndMoreItemsExtendFewer() {
        MultipleChoiceTask a = QuizQuestions.build(sample(), 100, 42), b = QuizQuestions.build(sample(), 100, 42);
        assertEquals(a, b);
        assertEquals(a.items().subList(0, 5), QuizQuestions.build(sample(), 5, 42).items());
        assertNotEquals(a.items(), QuizQuestions.build(sample(), 100, 43).items());
    }

    @Test
    void buildsFromTheRealFilesWhenInstalled(@TempDir Path cache) throws IOException {
        assumeTrue(BuiltinTasks.quizAvailable(), "bsdgames is not installed");
        MultipleChoiceTask t = BuiltinTasks.quiz(BuiltinTasks.QUIZ_DIR, cache, 200, 0);
        assertEquals(200, t.items().size());
        for (MultipleChoiceTask.Item item : t.items()) {
            assertEquals(4, Set.copyOf(item.choices()).size(), item.toString());
            assertTrue(item.context().chars().noneMatch(Character::isISOControl), item.context());
        }
        assertEquals(t, BuiltinTasks.quiz(BuiltinTasks.QUIZ_DIR, cache, 200, 0), "read back from the cache");
        assertTrue(Files.exists(BuiltinTasks.cacheFile(cache, "quiz", 200, 0)));
    }

    @Test
    void aMissingQuizFolderSaysWhatIsMissing(@TempDir Path empty) {
        var e = assertThrows(IOException.class, () -> BuiltinTasks.quiz(empty, empty, 10, 0));
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        assertTrue(BuiltinTasks.quizUnavailableMessage().contains("bsdgames"));
    }
}
