package minitron4j.experiments.bench;

import minitron4j.model.NemotronConfig;

import java.util.List;
import java.util.Locale;

/**
 * A teacher, its width-pruned student and a batch shape for {@code minitron4j bench}. The student
 * has the teacher's depth, head size and vocabulary with 3/4 of its width and heads and half its
 * FFN, as issue 6's anchor has (KV heads: 3/4 too, but one of two in the tiny shape).
 */
public record BenchShape(String name, NemotronConfig teacher, NemotronConfig student, int batch, int seq) {
    /** Issue 6's: teacher hidden 1024, 12 layers, 16/8 heads of 64, FFN 4096; student 768, 12/6 heads, FFN 2048; vocab 32000; 8 x 512. */
    public static final BenchShape ANCHOR = new BenchShape("anchor", NemotronConfig.of(32000, 1024, 4096, 12, 16, 8, 64, false),
            NemotronConfig.of(32000, 768, 2048, 12, 12, 6, 64, false), 8, 512);
    /** Seconds per step on a few CPU cores: hidden 256, 4 layers, vocab 4096, 4 x 128. */
    public static final BenchShape SMALL = new BenchShape("small", NemotronConfig.of(4096, 256, 1024, 4, 8, 4, 32, false),
            NemotronConfig.of(4096, 192, 512, 4, 6, 3, 32, false), 4, 128);
    /** A smoke run (tests, PoCL): hidden 64, 2 layers, vocab 256, 2 x 16. */
    public static final BenchShape TINY = new BenchShape("tiny", NemotronConfig.of(256, 64, 256, 2, 4, 2, 16, false),
            NemotronConfig.of(256, 48, 128, 2, 3, 1, 16, false), 2, 16);

    public static final List<BenchShape> ALL = List.of(ANCHOR, SMALL, TINY);

    /** The shape of that name; an unknown name is refused with the known ones. */
    public static BenchShape named(String name) {
        for (BenchShape s : ALL) if (s.name.equals(name.toLowerCase(Locale.ROOT))) return s;
        throw new IllegalArgumentException("--shape " + name + " is not a bench shape; known: "
                + ALL.stream().map(BenchShape::name).toList() + " and the released " + ReleasedShape.ids());
    }

    public int tokens() {
        return batch * seq;
    }
}
