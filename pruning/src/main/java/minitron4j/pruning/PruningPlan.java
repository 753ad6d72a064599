package minitron4j.pruning;

import minitron4j.model.NemotronConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The units of a source model that a pruned model keeps, as indices into the source, each list
 * sorted ascending so the kept units keep their original order.
 *
 * @param source    the config of the model being pruned
 * @param embedding kept hidden channels (one set for every tensor that touches the hidden dimension)
 * @param layers    kept layers; pruned layer i is source layer layers[i]
 * @param heads     kept query heads of each pruned layer i (of source layer layers[i]); the same count for every layer
 * @param neurons   kept MLP neurons of each pruned layer i; the same count for every layer
 * @param folds     per pruned layer, the pruned heads folded into kept ones (empty lists when not folding)
 */
public record PruningPlan(NemotronConfig source, int[] embedding, int[] layers, int[][] heads, int[][] neurons,
                          List<List<HeadFold>> folds) {

    /** Kept head {@code kept} absorbs pruned head {@code pruned} of the same layer: o block 2 W_o[:,kept] - W_o[:,pruned]. */
    public record HeadFold(int kept, int pruned) {}

    public PruningPlan {
        int l = source.numHiddenLayers();
        checkIndices("embedding", embedding, source.hiddenSize());
        checkIndices("layers", layers, l);
        if (heads.length != layers.length || neurons.length != layers.length || folds.size() != layers.length)
            throw new IllegalArgumentException("heads (" + heads.length + "), neurons (" + neurons.length + ") and folds ("
                    + folds.size() + ") must have one entry per kept layer (" + layers.length + ")");
        for (int i = 0; i < layers.length; i++) {
            checkIndices("heads[" + i + "]", heads[i], source.numAttentionHeads());
            checkIndices("neurons[" + i + "]", neurons[i], source.intermediateSize());
            if (heads[i].length != heads[0].length || neurons[i].length != neurons[0].length)
                throw new IllegalArgumentException("every layer must keep the same number of heads and neurons; layer " + i
                        + " keeps " + heads[i].length + " heads and " + neurons[i].length + " neurons, layer 0 keeps "
                        + heads[0].length + " and " + neurons[0].length);
            if (!mha(source)) checkEqualGroups(source, i, heads[i]);
        }
        folds = folds.stream().map(List::copyOf).toList();
    }

    private static void checkIndices(String axis, int[] kept, int size) {
        if (kept.length == 0) throw new IllegalArgumentException(axis + " keeps nothing; at least one must stay");
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] < 0 || kept[i] >= size)
                throw new IllegalArgumentException(axis + ": index " + kept[i] + " is outside 0.." + (size - 1));
            if (i > 0 && kept[i] <= kept[i - 1])
                throw new IllegalArgumentException(axis + ": indices must be strictly ascending, found "
                        + kept[i - 1] + " then " + kept[i]);
        }
    }

    private static void checkEqualGroups(NemotronConfig source, int layer, int[] kept) {
        int groupSize = source.numAttentionHeads() / source.numKeyValueHeads();
        int[] perGroup = new int[source.numKeyValueHeads()];
        for (int h : kept) perGroup[h / groupSize]++;
        for (int g : perGroup)
            if (g != perGroup[0])
                throw new IllegalArgumentException("heads[" + layer + "] keeps " + Arrays.toString(perGroup)
                        + " heads per KV group; with GQA every group must keep the same number");
    }

    /** Plain multi-head attention: one query head per KV head, so a pruned head takes its K and V with it. */
    static boolean mha(NemotronConfig c) {
        return c.numKeyValueHeads() == c.numAttentionHeads();
    }

    /** The config of the pruned model. head_dim never changes; with MHA the KV head count follows the heads. */
    public NemotronConfig prunedConfig() {
        int nh = heads[0].length;
        int kv = mha(source) ? nh : source.numKeyValueHeads();
        return source.withShape(embedding.length, nh, kv, neurons[0].length, layers.length);
    }

    /** Keeps every unit: trimming with it reproduces the source exactly. */
    public static PruningPlan keepAll(NemotronConfig c) {
        return rank(c, Ranking.uniform(c), PruningTarget.keepAll(), false);
    }

    /**
     * Chooses the units for a target: by {@code scores}, or at random when {@code options} carry a
     * seed (then scores may be null). The target is checked against the source shape first.
     */
    public static PruningPlan of(NemotronConfig c, ImportanceScores scores, PruningTarget target, PruningOptions options) {
        Ranking ranking;
        if (options.random()) {
            ranking = Ranking.random(c, options.randomSeed());
        } else {
            if (scores == null) throw new IllegalArgumentException("no importance scores: give --scores SCORES.json or --random --seed S");
            scores.checkMatches(c, "scores");
            double[] depth = scores.layers();
            if (options.depthScore() == PruningOptions.DepthScore.LOSS) {
                if (scores.layersLoss() == null)
                    throw new IllegalArgumentException("depth score layers_loss was asked for but the scores have none:"
                            + " run importance with --depth-loss");
                depth = scores.layersLoss();
            }
            ranking = new Ranking(scores.embedding(), scores.heads(), scores.neurons(), depth);
        }
        return rank(c, ranking, target, options.foldHeads());
    }

    /** Per-unit ranking values, higher = more important: importance scores or random draws. */
    private record Ranking(double[] embedding, double[][] heads, double[][] neurons, double[] layers) {
        static Ranking uniform(NemotronConfig c) {
            int l = c.numHiddenLayers();
            return new Ranking(new double[c.hiddenSize()], new double[l][c.numAttentionHeads()],
                    new double[l][c.intermediateSize()], new double[l]);
        }

        static Ranking random(NemotronConfig c, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            Ranking u = uniform(c);
            fill(u.embedding, r);
            for (double[] h : u.heads) fill(h, r);
            for (double[] n : u.neurons) fill(n, r);
            fill(u.layers, r);
            return u;
        }

        private static void fill(double[] v, SplittableRandom r) {
            for (int i = 0; i < v.length; i++) v[i] = r.nextDouble();
        }
    }

    private static PruningPlan rank(NemotronConfig c, Ranking r, PruningTarget t, boolean foldHeads) {
        int hidden = checkWidth("hidden_size", t.hiddenSize(), c.hiddenSize());
        int ffn = checkWidth("intermediate_size", t.intermediateSize(), c.intermediateSize());
        int nh = c.numAttentionHeads();
        int heads = t.numAttentionHeads() == null ? nh : checkHeads(c, t.numAttentionHeads());
        int[] layers = keptLayers(c, r.layers(), t);

        int groups = mha(c) ? 1 : c.numKeyValueHeads();
        int groupSize = nh / groups, keepPerGroup = heads / groups;
        int[][] keptHeads = new int[layers.length][];
        int[][] keptNeurons = new int[layers.length][];
        List<List<HeadFold>> folds = new ArrayList<>();
        for (int i = 0; i < layers.length; i++) {
            int src = layers[i];
            List<Integer> kept = new ArrayList<>();
            List<HeadFold> layerFolds = new ArrayList<>();
            for (int g = 0; g < groups; g++) {
                int[] order = byScore(r.heads()[src], g * groupSize, groupSize);
                for (int k = 0; k < keepPerGroup; k++) kept.add(order[k]);
                // P1's mirror: the lowest-ranked kept head absorbs the highest-ranked pruned one, and so on inward.
                if (foldHeads)
                    for (int m = 0; m < Math.min(keepPerGroup, groupSize - keepPerGroup); m++)
                        layerFolds.add(new HeadFold(order[keepPerGroup - 1 - m], order[keepPerGroup + m]));
            }
            keptHeads[i] = kept.stream().mapToInt(Integer::intValue).sorted().toArray();
            keptNeurons[i] = top(r.neurons()[src], ffn);
            folds.add(layerFolds);
        }
        return new PruningPlan(c, top(r.embedding(), hidden), layers, keptHeads, keptNeurons, folds);
    }

    /** Indices offset..offset+n-1 of score, best first; ties keep the lower index first. */
    private static int[] byScore(double[] score, int offset, int n) {
        return IntStream.range(offset, offset + n).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -score[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /** The k best indices of score, ascending. */
    static int[] top(double[] score, int k) {
        int[] best = Arrays.copyOf(byScore(score, 0, score.length), k);
        Arrays.sort(best);
        return best;
    }

    private static int checkWidth(String field, Integer target, int size) {
        if (target == null) return size;
        if (target < 1 || target > size)
            throw new IllegalArgumentException(field + " " + target + " is not a valid target: the model's " + field
                    + " is " + size + ", choose 1.." + size);
        return target;
    }

    /** Valid head targets: with GQA the multiples of num_key_value_heads up to the head count; with MHA any 1..nh. */
    public static List<Integer> validHeadCounts(NemotronConfig c) {
        int step = mha(c) ? 1 : c.numKeyValueHeads();
        return IntStream.rangeClosed(1, c.numAttentionHeads() / step).map(i -> i * step).boxed().toList();
    }

    private static int checkHeads(NemotronConfig c, int target) {
        List<Integer> valid = validHeadCounts(c);
        if (valid.contains(target)) return target;
        String rule = mha(c)
                ? "with plain multi-head attention (" + c.numAttentionHeads() + " heads, each its own K/V) any count from 1 to "
                + c.numAttentionHeads() + " works"
                : "with GQA (" + c.numAttentionHeads() + " heads in " + c.numKeyValueHeads()
                + " KV groups) the target must be a multiple of num_key_value_heads " + c.numKeyValueHeads();
        throw new IllegalArgumentException("num_attention_heads " + target + " is not a valid target: " + rule
                + "; valid: " + valid.stream().map(String::valueOf).collect(Collectors.joining(", ")));
    }

    private static int[] keptLayers(NemotronConfig c, double[] score, PruningTarget t) {
        int l = c.numHiddenLayers();
        if (t.numLayers() != null) {
            checkWidth("num_hidden_layers", t.numLayers(), l);
            return top(score, t.numLayers());
        }
        if (t.dropBlock() != null) {
            int keep = checkWidth("num_hidden_layers", t.dropBlock(), l), length = l - keep;
            int best = 0;
            double bestSum = Double.POSITIVE_INFINITY;
            for (int s = 0; s + length <= l; s++) {
                double sum = 0;
                for (int i = s; i < s + length; i++) sum += score[i];
                if (sum < bestSum) {
                    bestSum = sum;
                    best = s;
                }
            }
            int start = best;
            return IntStream.range(0, l).filter(i -> i < start || i >= start + length).toArray();
        }
        if (t.dropLayers() != null) {
            boolean[] drop = new boolean[l];
            for (int d : t.dropLayers()) {
                if (d < 0 || d >= l)
                    throw new IllegalArgumentException("--drop-layers " + d + " is not a layer of this model: choose from 0.." + (l - 1));
                if (drop[d]) throw new IllegalArgumentException("--drop-layers names layer " + d + " twice");
                drop[d] = true;
            }
            if (t.dropLayers().length == l)
                throw new IllegalArgumentException("--drop-layers names all " + l + " layers; at least one must stay");
            return IntStream.range(0, l).filter(i -> !drop[i]).toArray();
        }
        return IntStream.range(0, l).toArray();
    }
}
