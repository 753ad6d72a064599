package minitron4j.training;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import minitron4j.kernels.Parallel;
import minitron4j.model.io.AtomicWrites;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The step loop shared by plain training and distillation. Per optimizer step: draw
 * {@code gradAccum} micro-batches from the sampler, let the {@link TrainingSteps} add each one's
 * gradients (weighted 1/gradAccum), check the losses and gradients are finite, clip by global norm,
 * update with AdamW at the schedule's lr, log a row; validate and checkpoint at their intervals.
 *
 * <p>All the state a step depends on (parameters, optimizer moments and step, sampler position)
 * is in a checkpoint, and the schedule is a function of the step, so a run resumed from its
 * {@code latest} checkpoint logs exactly the losses an uninterrupted run would (same thread count).
 *
 * <p>Buffers are allocated once: the backend's training state, one id array. How the gradients
 * are computed and applied is the {@link TrainingSteps}' business, on whichever backend they run.
 */
public final class TrainingLoop {
    private final RunFolder run;
    private final TrainingSteps steps;
    private final LrSchedule schedule;
    private final BatchSource sampler;
    private final LoopSettings settings;
    private final long seed;
    private Validation validation;
    private TrainingListener listener = row -> {};
    private List<Path> checkpointFiles = List.of();
    private List<LossPlot.Reference> plotReferences = List.of();
    private boolean progressBar = true;
    private String taskName = "train";

    /**
     * @param run      the run folder (created if absent); its config.json is the caller's business
     * @param steps    the training steps, on their backend
     * @param sampler  draws the training batches (token windows, labeled examples); its seq_len must be settings.seqLen()
     * @param seed     recorded in the manifest (the seed the caller built model and sampler from)
     */
    public TrainingLoop(RunFolder run, TrainingSteps steps, LrSchedule schedule, BatchSource sampler, LoopSettings settings,
                        long seed) {
        if (sampler.seqLen() != settings.seqLen())
            throw new IllegalArgumentException("sampler draws windows of " + sampler.seqLen() + " tokens, seq_len is " + settings.seqLen());
        this.run = run;
        this.steps = steps;
        this.schedule = schedule;
        this.sampler = sampler;
        this.settings = settings;
        this.seed = seed;
    }

    /** Validation run every eval_interval steps, at step 0 of a fresh run and at the last step. */
    public TrainingLoop validation(Validation v) {
        this.validation = v;
        return this;
    }

    public TrainingLoop listener(TrainingListener l) {
        this.listener = l;
        return this;
    }

    /** Files copied into every checkpoint beside the weights (the tokenizer, so a checkpoint is usable alone). */
    public TrainingLoop checkpointFiles(List<Path> files) {
        this.checkpointFiles = List.copyOf(files);
        return this;
    }

    /** Horizontal lines drawn on loss.png, e.g. the data's unigram entropy. */
    public TrainingLoop plotReferences(List<LossPlot.Reference> refs) {
        this.plotReferences = List.copyOf(refs);
        return this;
    }

    /** Whether to draw a progress bar on stderr (on by default). */
    public TrainingLoop progressBar(boolean on) {
        this.progressBar = on;
        return this;
    }

    /** The progress bar's label ("train" by default). */
    public TrainingLoop taskName(String name) {
        this.taskName = name;
        return this;
    }

    /**
     * Runs to settings.steps(). With resume, continues from the checkpoint {@code latest} names
     * (from step 0 when the run never wrote one); otherwise the run folder must hold no checkpoint.
     *
     * @throws TrainingDivergedException when a loss, gradient or parameter is not finite
     */
    public TrainingSummary run(boolean resume) throws IOException {
        Files.createDirectories(run.dir());
        // Leftovers of writes a crash interrupted (whole checkpoints at real sizes); this process owns the folder.
        for (Path folder : List.of(run.dir(), run.dir().resolve(RunFolder.CHECKPOINTS)))
            for (Path p : AtomicWrites.removeLeftovers(folder))
                System.err.println("removed " + p + ", left by an interrupted write");
        OptionalInt latest = run.latestStep();
        if (!resume && latest.isPresent())
            throw new IllegalStateException(run.dir() + " already holds a run (checkpoint step-" + latest.getAsInt()
                    + "); resume it or choose another output folder");
        int start = 0;
        Path lastCheckpoint = null;
        if (latest.isPresent()) {
            start = latest.getAsInt();
            TrainingState state = run.readCheckpoint(start, steps.parameters(), steps.optimizer());
            steps.syncToBackend();
            sampler.restore(state.sampler());
            lastCheckpoint = run.checkpoint(start);
        }
        if (start > settings.steps())
            throw new IllegalStateException(run.dir() + ": checkpoint step-" + start + " is past steps " + settings.steps());
        RunManifest manifest = resume && Files.exists(run.file(RunFolder.MANIFEST))
                ? RunManifest.resume(run.file(RunFolder.MANIFEST), Parallel.threads(), seed, start, steps.backend())
                : RunManifest.start(run.file(RunFolder.MANIFEST), Parallel.threads(), seed, steps.backend());
        List<String> names = steps.metrics();
        Map<String, Double> lastMetrics = new LinkedHashMap<>(), lastValidation = new LinkedHashMap<>();
        double stepSeconds = 0;
        long sessionSteps = 0;
        try {
            try (JsonlLog log = start > 0 ? JsonlLog.resume(run.file(RunFolder.LOG), start) : JsonlLog.create(run.file(RunFolder.LOG));
                 ProgressBar bar = progressBar ? progressBar(start) : null) {
                if (start == 0 && validation != null && settings.evalInterval() > 0)
                    lastValidation = validate(0, log);

                float weight = 1f / settings.gradAccum();
                double[] sums = new double[names.size()];
                for (int step = start + 1; step <= settings.steps(); step++) {
                    long t0 = System.nanoTime();
                    steps.zeroGradients();
                    java.util.Arrays.fill(sums, 0);
                    for (int micro = 0; micro < settings.gradAccum(); micro++) {
                        double[] values = steps.accumulate(sampler.next(settings.batch()), weight);
                        for (int i = 0; i < names.size(); i++) {
                            if (!Double.isFinite(values[i])) throw diverged(step, names.get(i) + " is " + values[i]
                                    + describeNonFinite(), lastCheckpoint, log, manifest);
                            sums[i] += values[i];
                        }
                    }
                    double norm = steps.gradientNorm();
                    if (!Double.isFinite(norm))
                        throw diverged(step, "gradient " + steps.firstNonFiniteGradient() + " (grad_norm " + norm + ")",
                                lastCheckpoint, log, manifest);
                    double lr = schedule.lr(step - 1);
                    steps.update(norm, settings.clip(), lr);
                    double seconds = (System.nanoTime() - t0) * 1e-9;
                    stepSeconds += seconds;
                    sessionSteps++;

                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("step", step);
                    for (int i = 0; i < names.size(); i++) {
                        double mean = sums[i] / settings.gradAccum();
                        row.put(names.get(i), mean);
                        lastMetrics.put(names.get(i), mean);
                    }
                    row.put("lr", lr);
                    row.put("grad_norm", norm);
                    row.put("tokens_per_s", settings.tokensPerStep() / seconds);
                    row.put("gflops", steps.flopsPerMicroBatch() * settings.gradAccum() / seconds * 1e-9);
                    log.write(row);
                    listener.onLogRow(row);
                    if (bar != null) {
                        bar.stepTo(step);
                        bar.setExtraMessage(String.format(" %.3f %.0ftok/s", lastMetrics.get(names.get(0)),
                                settings.tokensPerStep() / seconds));
                    }

                    boolean last = step == settings.steps();
                    if (validation != null && settings.evalInterval() > 0 && (step % settings.evalInterval() == 0 || last))
                        lastValidation = validate(step, log);
                    if (last || (settings.checkpointInterval() > 0 && step % settings.checkpointInterval() == 0)) {
                        steps.syncToHost();
                        String badParam = steps.firstNonFiniteParameter();
                        if (badParam != null)
                            throw diverged(step, "parameter " + badParam + " after the update", lastCheckpoint, log, manifest);
                        lastCheckpoint = run.writeCheckpoint(new TrainingState(step, sampler.state()), steps.parameters(),
                                steps.optimizer(), checkpointFiles);
                    }
                }
            }
            LossPlot.write(JsonlLog.read(run.file(RunFolder.LOG)), names.get(0), plotReferences, run.file(RunFolder.PLOT));
        } catch (TrainingDivergedException e) {
            throw e; // the manifest says "diverged" already
        } catch (IOException e) {
            // A full disk, most often: say where, what is safe, and how to go on.
            String message = run.dir() + ": " + oneLine(e) + "; the last complete checkpoint is "
                    + (lastCheckpoint != null ? lastCheckpoint : "none (the run starts over)") + "; free space, then --resume " + run.dir();
            failed(manifest, message, e);
            throw new IOException(message, e);
        } catch (RuntimeException | Error e) {
            failed(manifest, oneLine(e), e);
            throw e;
        }
        manifest.finish("finished", null);
        double tokensPerS = sessionSteps == 0 ? 0 : sessionSteps * settings.tokensPerStep() / stepSeconds;
        double gflops = sessionSteps == 0 ? 0 : sessionSteps * steps.flopsPerMicroBatch() * settings.gradAccum() / stepSeconds * 1e-9;
        return new TrainingSummary(settings.steps(), lastMetrics, lastValidation, tokensPerS, gflops, lastCheckpoint);
    }

    /** Records the failure in the manifest, if the disk still takes it (else the reason rides on the original error). */
    private static void failed(RunManifest manifest, String message, Throwable cause) {
        try {
            manifest.finish("failed", message);
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** An exception as one line: its message, or its type when it has none. */
    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private Map<String, Double> validate(int step, JsonlLog log) {
        Map<String, Double> values = validation.evaluate();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.putAll(values);
        log.write(row);
        listener.onLogRow(row);
        return new LinkedHashMap<>(values);
    }

    /** Names the first non-finite parameter, else the first non-finite gradient; empty when all are finite. */
    private String describeNonFinite() {
        steps.syncToHost();
        String p = steps.firstNonFiniteParameter();
        if (p != null) return "; parameter " + p;
        String g = steps.firstNonFiniteGradient();
        return g == null ? "; every parameter and gradient is finite (the logits overflowed?)" : "; gradient " + g;
    }

    private TrainingDivergedException diverged(int step, String culprit, Path lastCheckpoint, JsonlLog log,
                                               RunManifest manifest) throws IOException {
        TrainingDivergedException e = new TrainingDivergedException(step, culprit, lastCheckpoint);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", step);
        row.put("error", e.getMessage());
        log.write(row);
        manifest.finish("diverged", e.getMessage());
        return e;
    }

    private ProgressBar progressBar(int start) {
        return new ProgressBarBuilder().setTaskName(taskName).setInitialMax(settings.steps())
                .startsFrom(start, Duration.ZERO).setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(500).build();
    }
}
