package minitron4j.experiments.eval;

import minitron4j.training.SeededShuffle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Four-way multiple-choice questions made from the facts of the BSD quiz files: a prompt per
 * subject turns one category of a line into a sentence that the answer category completes ("The
 * capital of Kenya is" ... " Nairobi"), and three distractors are drawn from the answers of the
 * other lines of the same file, never one the right answer's pattern accepts. Only subjects whose
 * facts read as plain English sentences are used (capitals, elements, presidents, monarchs,
 * opposites, Latin words, Shakespeare and poetry lines, ...); code-like files (ed, morse, ucc) are not.
 */
public final class QuizQuestions {
    /** Choices per question: the right answer and three distractors. */
    public static final int CHOICES = 4;

    /**
     * A way of asking: in the data file {@code file}, the prompt with {@code {i}} standing for the
     * fullest reading of category i, answered by category {@code answer}.
     */
    public record Template(String file, String prompt, int answer) {
    }

    public static final List<Template> TEMPLATES = List.of(
            new Template("africa", "The capital of {0} is", 1),
            new Template("america", "The capital of {0} is", 1),
            new Template("asia", "The capital of {0} is", 1),
            new Template("europe", "The capital of {0} is", 1),
            new Template("province", "The capital of {0} is", 1),
            new Template("state", "The capital of {0} is", 1),
            new Template("state", "The postal abbreviation of {0} is", 2),
            new Template("midearth", "In Middle-earth, the chief city of {0} is", 1),
            new Template("elements", "The chemical element with the symbol {0} is", 3),
            new Template("elements", "The atomic number of {3} is", 1),
            new Template("pres", "{0} was succeeded as President of the United States by", 3),
            new Template("sov", "{0} was succeeded on the English throne by", 2),
            new Template("inca", "The Inca ruler {0} was succeeded by", 1),
            new Template("chinese", "In the Chinese zodiac, the year of the {0} is followed by the year of the", 1),
            new Template("sexes", "The feminine of {0} is", 1),
            new Template("babies", "The young of the {1} is known as the", 0),
            new Template("collectives", "The collective noun for {0} is", 1),
            new Template("posneg", "The opposite of {0} is", 1),
            new Template("latin", "The Latin word {0} means", 1),
            new Template("flowers", "In the language of flowers, the {0} means", 1),
            new Template("bard", "In {2}, {3} says: {0}", 1),
            new Template("poetry", "In {2}, {3} wrote: {0}", 1),
            new Template("mult", "{0} =", 1));

    private QuizQuestions() {
    }

    /** Every file the templates read, in template order. */
    public static Set<String> files() {
        Set<String> files = new LinkedHashSet<>();
        for (Template t : TEMPLATES) files.add(t.file());
        return files;
    }

    /**
     * items questions (all of them when fewer can be made) drawn from the facts under quizDir with a
     * seeded shuffle; the questions for n items are the first n of those for more items.
     */
    public static MultipleChoiceTask build(Path quizDir, int items, long seed) throws IOException {
        Map<String, List<QuizFile.Entry>> files = new LinkedHashMap<>();
        for (String f : files()) {
            Path p = quizDir.resolve(f);
            if (!Files.isRegularFile(p)) throw new IOException("quiz data file " + p + " is missing");
            files.put(f, QuizFile.read(p));
        }
        return build(files, items, seed);
    }

    /** The same from parsed files (name to entries), for tests and other quiz folders. */
    public static MultipleChoiceTask build(Map<String, List<QuizFile.Entry>> files, int items, long seed) {
        if (items < 1) throw new IllegalArgumentException("items must be >= 1, got " + items);
        record Fact(Template template, QuizFile.Entry entry, String prompt) {
        }
        List<Fact> facts = new ArrayList<>();
        Map<Template, List<String>> answerPools = new LinkedHashMap<>();
        // A question asked on two lines (Cleveland's two terms) has two right answers.
        Map<String, List<QuizPattern>> rightAnswers = new LinkedHashMap<>();
        for (Template t : TEMPLATES) {
            List<QuizFile.Entry> entries = files.get(t.file());
            if (entries == null) continue;
            Set<String> pool = new LinkedHashSet<>();
            for (QuizFile.Entry e : entries) {
                String prompt = prompt(t, e), answer = e.category(t.answer()).canonical();
                if (prompt == null || !readable(answer)) continue;
                pool.add(answer);
                facts.add(new Fact(t, e, prompt));
                rightAnswers.computeIfAbsent(prompt, k -> new ArrayList<>()).add(e.category(t.answer()));
            }
            answerPools.put(t, List.copyOf(pool));
        }
        SplittableRandom random = new SplittableRandom(seed);
        SeededShuffle.shuffle(facts, random);
        List<MultipleChoiceTask.Item> out = new ArrayList<>();
        // Russia is in both the asia and the europe file: each question is asked once.
        Set<String> asked = new HashSet<>();
        for (Fact f : facts) {
            if (out.size() == items) break;
            if (asked.contains(f.prompt())) continue;
            QuizPattern right = f.entry().category(f.template().answer());
            List<String> candidates = new ArrayList<>();
            Set<String> seen = new LinkedHashSet<>();
            List<QuizPattern> accepted = rightAnswers.get(f.prompt());
            for (String a : answerPools.get(f.template()))
                if (accepted.stream().noneMatch(r -> r.accepts(a)) && seen.add(a.toLowerCase(Locale.ROOT))) candidates.add(a);
            if (candidates.size() < CHOICES - 1) continue;
            SeededShuffle.shuffle(candidates, random);
            List<String> choices = new ArrayList<>(candidates.subList(0, CHOICES - 1));
            int label = random.nextInt(CHOICES);
            choices.add(label, right.canonical());
            out.add(new MultipleChoiceTask.Item(f.prompt(), choices, label));
            asked.add(f.prompt());
        }
        return new MultipleChoiceTask("quiz", out);
    }

    /** The template's prompt for an entry, or null when a category it names is empty or unreadable. */
    private static String prompt(Template t, QuizFile.Entry e) {
        StringBuilder sb = new StringBuilder();
        String p = t.prompt();
        for (int k = 0; k < p.length(); k++) {
            char c = p.charAt(k);
            if (c == '{') {
                int close = p.indexOf('}', k);
                String value = e.category(Integer.parseInt(p.substring(k + 1, close))).canonical();
                if (!readable(value)) return null;
                sb.append(value);
                k = close;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Non-empty, without control characters (one europe line spells Å as an overstrike with a
     * backspace) and not "gok" (the files' "God only knows" for an unknown answer).
     */
    private static boolean readable(String s) {
        return !s.isEmpty() && !s.equalsIgnoreCase("gok") && s.chars().noneMatch(Character::isISOControl);
    }
}
