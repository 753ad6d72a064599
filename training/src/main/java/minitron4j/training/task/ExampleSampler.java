package minitron4j.training.task;

import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.SplitMix;
import minitron4j.training.BatchSource;
import minitron4j.training.SeededShuffle;
import minitron4j.training.WindowSampler;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Draws labeled examples epoch by epoch, each epoch in its own seeded order (as HF's Trainer
 * shuffles): the k-th example drawn is a function of (seed, k), so (seed, examples drawn) is the
 * whole state a checkpoint keeps and a resumed run draws what an uninterrupted one would. Token
 * classification's dropout is keyed by the same pair.
 */
public final class ExampleSampler implements BatchSource {
    private final List<LabeledExample> examples;
    private final Architecture task;
    private final int width, seqLen, padId;
    private final long seed;
    private long drawn;
    private long orderEpoch = -1;
    private List<Integer> order;

    public ExampleSampler(List<LabeledExample> examples, Architecture task, int width, int seqLen, int padId, long seed) {
        if (examples.isEmpty()) throw new IllegalArgumentException("no training examples");
        this.examples = List.copyOf(examples);
        this.task = task;
        this.width = width;
        this.seqLen = seqLen;
        this.padId = padId;
        this.seed = seed;
    }

    @Override
    public int seqLen() {
        return seqLen;
    }

    @Override
    public Batch next(int rows) {
        long key = SplitMix.mix(seed ^ SplitMix.mix(drawn + 1));
        List<LabeledExample> picked = new ArrayList<>(rows);
        for (int r = 0; r < rows; r++) picked.add(example(drawn++));
        return ExampleBatches.of(picked, task, width, seqLen, padId, key);
    }

    /** The k-th example drawn: position k mod n of epoch k / n's shuffled order. */
    private LabeledExample example(long k) {
        int n = examples.size();
        long epoch = k / n;
        if (epoch != orderEpoch) {
            order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
            SeededShuffle.shuffle(order, new SplittableRandom(SplitMix.mix(seed + epoch * 0x9E3779B97F4A7C15L)));
            orderEpoch = epoch;
        }
        return examples.get(order.get((int) (k % n)));
    }

    @Override
    public WindowSampler.State state() {
        return new WindowSampler.State(seed, drawn);
    }

    @Override
    public void restore(WindowSampler.State state) {
        if (state.seed() != seed)
            throw new IllegalArgumentException("sampler state has seed " + state.seed() + ", this sampler uses " + seed);
        drawn = state.drawn();
    }

}
