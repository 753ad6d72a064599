package minitron4j.distillation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.AdamWSettings;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Loss;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import minitron4j.training.LoopSettings;
import minitron4j.training.LrSchedule;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How {@link Distiller#distill} runs. The schedule has P2's shape (linear warm-up, then cosine from
 * {@code lr} down to {@code min_lr} = lr/10; P2: 1e-4 -> 1e-5 with 40-60 warm-up steps at 4-8B
 * parameters). For the million-parameter models this framework trains on a CPU the default peak
 * is 1e-3 and the warm-up 5% of the steps (at most 60): distilling a half-width student of a 1M
 * teacher (trained at 2e-3) for 150 steps reached val_kd_loss 0.019 at 3e-4, 0.0083 at 1e-3 and
 * 0.0076, less steadily, at 3e-3.
 *
 * @param steps              optimizer steps
 * @param batch              windows per micro-batch (default 8)
 * @param seqLen             tokens per window (default 256, at most both models' max_position_embeddings)
 * @param gradAccum          micro-batches per optimizer step (default 1)
 * @param lr                 peak learning rate
 * @param minLr              end of the cosine decay
 * @param warmup             linear warm-up steps
 * @param weightDecay        AdamW decoupled weight decay (default 0.1; none on norms and biases)
 * @param beta1              AdamW beta1 (0.9)
 * @param beta2              AdamW beta2 (0.95)
 * @param eps                AdamW eps (1e-8)
 * @param clip               max global gradient norm, 0 = off (1.0)
 * @param loss               the logit loss (forward_kl)
 * @param tau                temperature of the KL losses (1)
 * @param topK               teacher tokens kept by the top_k loss (0 = not set; top_k needs it)
 * @param ceWeight           weight of the CE term (0, the paper's best)
 * @param intermediatePairs  (student, teacher) post-norm hidden states for the intermediate-state loss (none)
 * @param seed               data order and projection initialisation (0)
 * @param evalInterval       validate every so many steps, 0 = never (steps/20)
 * @param evalBatches        validation batches per evaluation, from the start of val.bin (16)
 * @param checkpointInterval checkpoint every so many steps, 0 = at the end only (steps/10)
 * @param threads            compute threads (all cores); a resumed run is exact only with the same count
 * @param progressBar        draw a progress bar on stderr (true; not part of the run's config)
 */
public record DistillOptions(int steps, int batch, int seqLen, int gradAccum, double lr, double minLr, int warmup,
                             double weightDecay, double beta1, double beta2, double eps, double clip,
                             LogitLossKind loss, double tau, int topK, double ceWeight, List<LayerPair> intermediatePairs,
                             long seed, int evalInterval, int evalBatches, int checkpointInterval, int threads,
                             boolean progressBar) {

    public static final double DEFAULT_LR = 1e-3;

    private static final Set<String> FIELDS = Set.of("steps", "batch", "seq_len", "grad_accum", "lr", "min_lr", "warmup",
            "weight_decay", "beta1", "beta2", "eps", "clip", "loss", "tau", "top_k", "ce_weight", "intermediate_pairs",
            "seed", "eval_interval", "eval_batches", "checkpoint_interval", "threads");

    public DistillOptions {
        intermediatePairs = List.copyOf(intermediatePairs);
        new LoopSettings(steps, batch, seqLen, gradAccum, clip, evalInterval, checkpointInterval);
        AdamWSettings.of(beta1, beta2, eps, weightDecay);
        LrSchedule.warmupCosine(lr, minLr, warmup, steps);
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0, got " + lr);
        if (evalBatches < 1) throw new IllegalArgumentException("eval_batches must be >= 1, got " + evalBatches);
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        lossSpec(loss, tau, topK, ceWeight);
    }

    /** Every default, for a run of the given number of steps. */
    public static DistillOptions defaults(int steps) {
        return new DistillOptions(steps, 8, 256, 1, DEFAULT_LR, DEFAULT_LR / 10, defaultWarmup(steps), 0.1, 0.9, 0.95,
                1e-8, 1.0, LogitLossKind.FORWARD_KL, 1.0, 0, 0.0, List.of(), 0, Math.max(1, steps / 20), 16,
                Math.max(1, steps / 10), Runtime.getRuntime().availableProcessors(), true);
    }

    /** 5% of the steps, at most P2's 60. */
    static int defaultWarmup(int steps) {
        return Math.min(60, steps / 20);
    }

    public DistillationLoss lossSpec() {
        return lossSpec(loss, tau, topK, ceWeight);
    }

    /** The loss these options train with, distilling from teacher. */
    public Loss.Distillation distillation(Parameters teacher) {
        return new Loss.Distillation(teacher, lossSpec(), intermediatePairs, seed);
    }

    private static DistillationLoss lossSpec(LogitLossKind loss, double tau, int topK, double ceWeight) {
        return new DistillationLoss(loss, tau, topK, ceWeight);
    }

    public LoopSettings loopSettings() {
        return new LoopSettings(steps, batch, seqLen, gradAccum, clip, evalInterval, checkpointInterval);
    }

    public AdamWSettings optimizerSettings() {
        return AdamWSettings.of(beta1, beta2, eps, weightDecay);
    }

    public LrSchedule lrSchedule() {
        return LrSchedule.warmupCosine(lr, minLr, warmup, steps);
    }

    public DistillOptions withSteps(int s) {
        return new DistillOptions(s, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval, threads,
                progressBar);
    }

    public DistillOptions withShape(int b, int t) {
        return new DistillOptions(steps, b, t, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval, threads,
                progressBar);
    }

    /** Peak lr with min_lr = peak/10 and the given warm-up. */
    public DistillOptions withSchedule(double peak, int warmupSteps) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, peak, peak / 10, warmupSteps, weightDecay, beta1, beta2,
                eps, clip, loss, tau, topK, ceWeight, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval,
                threads, progressBar);
    }

    public DistillOptions withLoss(LogitLossKind kind, double temperature, int k, double ce) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                kind, temperature, k, ce, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval, threads,
                progressBar);
    }

    public DistillOptions withIntermediatePairs(List<LayerPair> pairs) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, pairs, seed, evalInterval, evalBatches, checkpointInterval, threads, progressBar);
    }

    public DistillOptions withSeed(long s) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, s, evalInterval, evalBatches, checkpointInterval, threads,
                progressBar);
    }

    /** Validation every evalEvery steps over evalBatchCount batches; a checkpoint every checkpointEvery steps. */
    public DistillOptions withIntervals(int evalEvery, int evalBatchCount, int checkpointEvery) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, seed, evalEvery, evalBatchCount, checkpointEvery, threads,
                progressBar);
    }

    public DistillOptions withThreads(int n) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval, n,
                progressBar);
    }

    public DistillOptions withProgressBar(boolean on) {
        return new DistillOptions(steps, batch, seqLen, gradAccum, lr, minLr, warmup, weightDecay, beta1, beta2, eps, clip,
                loss, tau, topK, ceWeight, intermediatePairs, seed, evalInterval, evalBatches, checkpointInterval, threads, on);
    }

    /** The options as a run's config.json records them (snake_case keys; progress_bar is not recorded). */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("steps", steps);
        o.put("batch", batch);
        o.put("seq_len", seqLen);
        o.put("grad_accum", gradAccum);
        o.put("lr", lr);
        o.put("min_lr", minLr);
        o.put("warmup", warmup);
        o.put("weight_decay", weightDecay);
        o.put("beta1", beta1);
        o.put("beta2", beta2);
        o.put("eps", eps);
        o.put("clip", clip);
        o.put("loss", loss.id());
        o.put("tau", tau);
        o.put("top_k", topK);
        o.put("ce_weight", ceWeight);
        o.put("intermediate_pairs", String.join(",", intermediatePairs.stream().map(LayerPair::toString).toList()));
        o.put("seed", seed);
        o.put("eval_interval", evalInterval);
        o.put("eval_batches", evalBatches);
        o.put("checkpoint_interval", checkpointInterval);
        o.put("threads", threads);
        return o;
    }

    /**
     * Reads options from JSON/YAML fields (as {@link #toJson} writes them); {@code steps} is required,
     * every other field defaults as in {@link #defaults}. Unknown fields are an error naming them.
     */
    public static DistillOptions fromJson(JsonNode o) {
        if (o == null || !o.isObject()) throw new IllegalArgumentException("distillation options must be an object");
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw new IllegalArgumentException("unknown field " + f + " (known: " + new TreeSet<>(FIELDS) + ")");
        }
        if (!o.hasNonNull("steps")) throw new IllegalArgumentException("field steps is missing");
        int steps = integer(o, "steps", 0);
        DistillOptions d = defaults(steps);
        double lr = number(o, "lr", d.lr);
        return new DistillOptions(steps, integer(o, "batch", d.batch), integer(o, "seq_len", d.seqLen),
                integer(o, "grad_accum", d.gradAccum), lr, number(o, "min_lr", lr / 10), integer(o, "warmup", d.warmup),
                number(o, "weight_decay", d.weightDecay), number(o, "beta1", d.beta1), number(o, "beta2", d.beta2),
                number(o, "eps", d.eps), number(o, "clip", d.clip),
                LogitLossKind.parse(o.hasNonNull("loss") ? o.get("loss").asText() : d.loss.id()),
                number(o, "tau", d.tau), integer(o, "top_k", d.topK), number(o, "ce_weight", d.ceWeight),
                LayerPair.parse(o.hasNonNull("intermediate_pairs") ? o.get("intermediate_pairs").asText() : ""),
                o.hasNonNull("seed") ? o.get("seed").asLong() : d.seed, integer(o, "eval_interval", Math.max(1, steps / 20)),
                integer(o, "eval_batches", d.evalBatches), integer(o, "checkpoint_interval", Math.max(1, steps / 10)),
                integer(o, "threads", d.threads), true);
    }

    /** Names of the recorded fields in which other differs (threads included: exact resume needs the same count). */
    public List<String> differences(DistillOptions other, ObjectMapper json) {
        ObjectNode a = toJson(json), b = other.toJson(json);
        List<String> diff = new ArrayList<>();
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!a.get(f).equals(b.get(f))) diff.add(f);
        }
        return diff;
    }

    private static int integer(JsonNode o, String f, int def) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) return def;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new IllegalArgumentException("field " + f + " must be an integer, got " + n);
        return n.intValue();
    }

    private static double number(JsonNode o, String f, double def) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) return def;
        if (!n.isNumber()) throw new IllegalArgumentException("field " + f + " must be a number, got " + n);
        return n.doubleValue();
    }
}
