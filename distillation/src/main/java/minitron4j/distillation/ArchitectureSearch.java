package minitron4j.distillation;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.pruning.Trimmer;
import minitron4j.training.JsonlLog;
import minitron4j.training.RunFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * The Minitron architecture search (P1): every shape of a grid whose parameter count lies within a
 * tolerance (P1: 5%) of a budget is pruned from the teacher, given a short distillation, and ranked
 * by its validation LM loss; the best continues with a longer distillation.
 *
 * <p>Pruning goes through a {@link Pruner}: {@link #pruner} is the pruning module's plan and
 * trimmer, by the teacher's importance scores or at random (the baseline). Each candidate lives in
 * {@code OUT/candidates/NN-hH-aA-fF-lL/} ({@code student/}: the pruned checkpoint, {@code run/}:
 * its distillation); a search started again skips the candidates already pruned and resumes their
 * runs, so an interrupted search continues where it stopped. {@code OUT/search.json} holds the
 * ranked table and {@code OUT/best/} the continued run.
 */
public final class ArchitectureSearch {
    public static final String TABLE = "search.json";

    private ArchitectureSearch() {}

    /** A candidate shape: the four axes the paper searches. head_dim and the KV heads follow the teacher. */
    public record Shape(int hiddenSize, int numAttentionHeads, int intermediateSize, int numLayers) {

        /** The teacher's config at this shape; with plain multi-head attention the KV heads follow the heads. */
        public NemotronConfig applyTo(NemotronConfig teacher) {
            boolean mha = teacher.numKeyValueHeads() == teacher.numAttentionHeads();
            return teacher.withShape(hiddenSize, numAttentionHeads, mha ? numAttentionHeads : teacher.numKeyValueHeads(),
                    intermediateSize, numLayers);
        }

        public static Shape of(NemotronConfig c) {
            return new Shape(c.hiddenSize(), c.numAttentionHeads(), c.intermediateSize(), c.numHiddenLayers());
        }

        /** "hH-aA-fF-lL", as in the candidate folders. */
        public String label() {
            return "h" + hiddenSize + "-a" + numAttentionHeads + "-f" + intermediateSize + "-l" + numLayers;
        }
    }

    /** The values tried on each axis. */
    public record Grid(List<Integer> hiddenSizes, List<Integer> heads, List<Integer> intermediateSizes, List<Integer> layers) {
        public Grid {
            hiddenSizes = List.copyOf(new TreeSet<>(hiddenSizes));
            heads = List.copyOf(new TreeSet<>(heads));
            intermediateSizes = List.copyOf(new TreeSet<>(intermediateSizes));
            layers = List.copyOf(new TreeSet<>(layers));
        }

        /**
         * A grid around the teacher: hidden and MLP widths at the given fractions of the teacher's
         * (rounded to a multiple of {@code multiple}, at least one multiple), every valid head count
         * (GQA: multiples of num_key_value_heads; plain multi-head: any), and the layer counts from
         * half the teacher's depth up to all of it.
         */
        public static Grid around(NemotronConfig teacher, List<Double> fractions, int multiple) {
            List<Integer> hidden = new ArrayList<>(), ffn = new ArrayList<>();
            for (double f : fractions) {
                if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("width fraction " + f + " outside (0, 1]");
                hidden.add(round(teacher.hiddenSize() * f, multiple, teacher.hiddenSize()));
                ffn.add(round(teacher.intermediateSize() * f, multiple, teacher.intermediateSize()));
            }
            List<Integer> layers = IntStream.rangeClosed((teacher.numHiddenLayers() + 1) / 2, teacher.numHiddenLayers()).boxed().toList();
            return new Grid(hidden, PruningPlan.validHeadCounts(teacher), ffn, layers);
        }

        private static int round(double value, int multiple, int max) {
            return (int) Math.min(max, Math.max(multiple, Math.round(value / multiple) * multiple));
        }
    }

    /** A candidate of the grid: its shape and parameter count. */
    public record Candidate(Shape shape, long parameters) {
    }

    /**
     * Every shape of the grid that the teacher can be pruned to (no axis wider than the teacher's,
     * valid head counts) whose parameter count (NemotronConfig.parameterCount) lies within
     * {@code tolerance} (relative) of {@code budget}; closest to the budget first, then the larger,
     * then by shape.
     */
    public static List<Candidate> candidates(NemotronConfig teacher, Grid grid, long budget, double tolerance) {
        if (budget < 1) throw new IllegalArgumentException("parameter budget must be >= 1, got " + budget);
        if (!(tolerance >= 0 && tolerance < 1)) throw new IllegalArgumentException("tolerance must lie in [0, 1), got " + tolerance);
        List<Integer> heads = PruningPlan.validHeadCounts(teacher);
        List<Candidate> out = new ArrayList<>();
        for (int h : grid.hiddenSizes())
            for (int a : grid.heads())
                for (int f : grid.intermediateSizes())
                    for (int l : grid.layers()) {
                        if (h < 1 || h > teacher.hiddenSize() || f < 1 || f > teacher.intermediateSize()
                                || l < 1 || l > teacher.numHiddenLayers() || !heads.contains(a)) continue;
                        Shape s = new Shape(h, a, f, l);
                        long p = s.applyTo(teacher).parameterCount();
                        if (Math.abs(p - budget) <= tolerance * budget) out.add(new Candidate(s, p));
                    }
        out.sort(Comparator.<Candidate>comparingLong(c -> Math.abs(c.parameters() - budget))
                .thenComparing(Comparator.comparingLong(Candidate::parameters).reversed())
                .thenComparing(c -> c.shape().label()));
        return out;
    }

    /** Cuts the teacher down to a shape. */
    @FunctionalInterface
    public interface Pruner {
        Parameters prune(Parameters teacher, Shape shape) throws IOException;
    }

    /**
     * The pruning module's plan ({@link PruningPlan#of}) and {@link Trimmer}: the units of highest
     * importance in {@code scores} (the teacher's, computed once with {@code Pruning.importance}), or
     * random units when {@code options} carry a seed (scores may then be null); depth drops the
     * lowest-scored layers.
     */
    public static Pruner pruner(ImportanceScores scores, PruningOptions options) {
        return (teacher, shape) -> Trimmer.apply(teacher, PruningPlan.of(teacher.config(), scores, target(shape), options));
    }

    static PruningTarget target(Shape s) {
        return PruningTarget.keepAll().withHiddenSize(s.hiddenSize()).withNumAttentionHeads(s.numAttentionHeads())
                .withIntermediateSize(s.intermediateSize()).withNumLayers(s.numLayers());
    }

    /**
     * The whole search from a budget: the grid's candidates within 5% (P1) of {@code budget}
     * parameters, pruned by importance {@code scores}, then {@link #search}.
     */
    public static Outcome search(Path teacherDir, Path dataDir, long budget, Grid grid, ImportanceScores scores,
                                 DistillOptions shortRun, DistillOptions fullRun, Path outDir) throws IOException {
        NemotronConfig teacher = NemotronConfig.load(teacherDir.resolve("config.json"));
        return search(teacherDir, dataDir, candidates(teacher, grid, budget, 0.05), pruner(scores, PruningOptions.defaults()),
                shortRun, fullRun, outDir);
    }

    /**
     * One row of the ranked table: the validation losses right after pruning (step 0) and after the
     * short distillation (its last validation), with the run folder.
     */
    public record Result(int rank, Shape shape, long parameters, double prunedValCeLoss, double prunedValKdLoss,
                         double valCeLoss, double valKdLoss, Path run) {
    }

    /** The ranked table and the continued run of the best candidate (its folder; null when not continued). */
    public record Outcome(List<Result> ranking, Path best) {
    }

    /**
     * Runs the search: prunes each candidate with the pruner, distils it with {@code shortRun}
     * (P1: ~400 steps; its eval_interval must be > 0 so there are validations to rank by), ranks by
     * the last val_ce_loss (the LM loss; val_kd_loss breaks ties) and, when {@code fullRun} is not
     * null, continues the best candidate from its short run's final checkpoint with {@code fullRun}
     * in {@code OUT/best}. Writes {@code OUT/search.json}.
     */
    public static Outcome search(Path teacherDir, Path dataDir, List<Candidate> candidates, Pruner pruner,
                                 DistillOptions shortRun, DistillOptions fullRun, Path outDir) throws IOException {
        if (candidates.isEmpty()) throw new IllegalArgumentException("no candidates: widen the grid or the tolerance");
        if (shortRun.evalInterval() < 1)
            throw new IllegalArgumentException("the short runs need validation to be ranked: eval_interval must be >= 1");
        Parameters teacher = Checkpoint.load(teacherDir).params();
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            Path dir = outDir.resolve("candidates").resolve(String.format("%02d-%s", i, c.shape().label()));
            Path student = dir.resolve("student"), run = dir.resolve("run");
            if (!Files.isRegularFile(student.resolve("config.json"))) {
                Parameters pruned = pruner.prune(teacher, c.shape());
                if (!Shape.of(pruned.config()).equals(c.shape()))
                    throw new IllegalStateException("the pruner returned shape " + Shape.of(pruned.config()).label()
                            + " for candidate " + c.shape().label());
                Checkpoint.save(student, pruned.config(), pruned, Dtype.F32);
            }
            System.err.printf("architecture search: candidate %d/%d %s (%,d parameters)%n", i + 1, candidates.size(),
                    c.shape().label(), c.parameters());
            Distiller.distill(teacherDir, student, dataDir, shortRun, run, Files.exists(run.resolve(RunFolder.LATEST)), row -> {});
            results.add(result(c, run));
        }
        results.sort(Comparator.comparingDouble(Result::valCeLoss).thenComparingDouble(Result::valKdLoss));
        List<Result> ranked = IntStream.range(0, results.size()).mapToObj(r -> {
            Result x = results.get(r);
            return new Result(r + 1, x.shape(), x.parameters(), x.prunedValCeLoss(), x.prunedValKdLoss(), x.valCeLoss(),
                    x.valKdLoss(), x.run());
        }).toList();
        writeTable(outDir.resolve(TABLE), teacherDir, ranked);

        Path best = null;
        if (fullRun != null) {
            best = outDir.resolve("best");
            Path from = new RunFolder(ranked.getFirst().run()).checkpoint(shortRun.steps());
            Distiller.distill(teacherDir, from, dataDir, fullRun, best, Files.exists(best.resolve(RunFolder.LATEST)), row -> {});
        }
        return new Outcome(ranked, best);
    }

    /** The first (step 0: right after pruning) and the last validation row of a finished run. */
    private static Result result(Candidate c, Path run) throws IOException {
        List<Map<String, Object>> val = JsonlLog.read(run.resolve(RunFolder.LOG)).stream()
                .filter(r -> r.containsKey(Distiller.VAL_KD_LOSS)).toList();
        if (val.isEmpty()) throw new IllegalStateException(run + ": the short distillation logged no validation");
        Map<String, Object> first = val.getFirst(), last = val.getLast();
        return new Result(0, c.shape(), c.parameters(), number(first, "val_ce_loss"), number(first, Distiller.VAL_KD_LOSS),
                number(last, "val_ce_loss"), number(last, Distiller.VAL_KD_LOSS), run);
    }

    private static double number(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).doubleValue();
    }

    private static void writeTable(Path file, Path teacherDir, List<Result> ranked) throws IOException {
        ObjectNode root = Distiller.JSON.createObjectNode();
        root.put("teacher", teacherDir.toAbsolutePath().normalize().toString());
        root.put("ranked_by", "val_ce_loss after the short distillation (val_kd_loss breaks ties)");
        ArrayNode rows = root.putArray("candidates");
        for (Result r : ranked) {
            ObjectNode o = rows.addObject();
            o.put("rank", r.rank());
            o.put("hidden_size", r.shape().hiddenSize());
            o.put("num_attention_heads", r.shape().numAttentionHeads());
            o.put("intermediate_size", r.shape().intermediateSize());
            o.put("num_hidden_layers", r.shape().numLayers());
            o.put("parameters", r.parameters());
            o.put("pruned_val_ce_loss", r.prunedValCeLoss());
            o.put("pruned_val_kd_loss", r.prunedValKdLoss());
            o.put("val_ce_loss", r.valCeLoss());
            o.put("val_kd_loss", r.valKdLoss());
            o.put("run", r.run().toString());
        }
        Distiller.writeJson(file, root);
    }
}
