package minitron4j.distillation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.kernels.KlDivergence;
import minitron4j.kernels.Parallel;
import minitron4j.model.Batch;
import minitron4j.model.MemoryCheck;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.backend.Loss;
import minitron4j.model.io.AtomicWrites;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.FolderLock;
import minitron4j.model.loss.DistillationLoss;
import minitron4j.training.Evaluator;
import minitron4j.training.RunFolder;
import minitron4j.training.TokenData;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainSpec;
import minitron4j.training.Trainer;
import minitron4j.training.TrainingListener;
import minitron4j.training.TrainingLoop;
import minitron4j.training.TrainingSteps;
import minitron4j.training.TrainingSummary;
import minitron4j.training.WindowSampler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Entry points of {@code minitron4j distill}: distillation of a student from a frozen teacher on a
 * data folder, and the teacher-correction stage that fine-tunes the teacher on that data first.
 *
 * <p>Distillation runs the training module's {@link TrainingLoop} with {@link TrainingSteps} of a
 * {@link Loss.Distillation} on the chosen backend, so checkpoints ({@code checkpoints/step-N/}: the student as an HF
 * checkpoint, the optimizer, the data position, and the learned projections when the
 * intermediate-state loss needs them), resume, the JSONL log, the NaN guard and the progress bar
 * behave exactly as in plain training. The run folder's {@code config.json} holds the teacher,
 * student and data paths and the options as run. Validation rows log {@code val_ce_loss},
 * {@code val_ppl} and {@code val_kd_loss}: the forward KL at the run's tau (times tau^2) of the
 * student to the teacher over every real position of the same validation windows.
 */
public final class Distiller {
    public static final String VAL_KD_LOSS = "val_kd_loss";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Distiller() {}

    /** A fresh run into outDir (see {@link #distill(Path, Path, Path, DistillOptions, Path, boolean, TrainingListener)}). */
    public static TrainingSummary distill(Path teacherDir, Path studentDir, Path dataDir, DistillOptions options,
                                          Path outDir) throws IOException {
        return distill(teacherDir, studentDir, dataDir, options, outDir, false, row -> {});
    }

    /**
     * Distils into outDir. With resume, the run folder's config.json names teacher, student, data
     * and options (the arguments may then be null; those given must agree with it) and the run
     * continues from the checkpoint {@code latest} names; otherwise outDir must hold no run.
     * listener sees every log row (tests, live plots, the architecture search).
     */
    public static TrainingSummary distill(Path teacherDir, Path studentDir, Path dataDir, DistillOptions options,
                                          Path outDir, boolean resume, TrainingListener listener) throws IOException {
        return distill(teacherDir, studentDir, dataDir, options, outDir, resume, listener, new CpuBackend());
    }

    /**
     * {@link #distill(Path, Path, Path, DistillOptions, Path, boolean, TrainingListener)} on a backend,
     * which holds teacher and student and runs every step and validation; a loss or option it does
     * not run ({@link Backend#unsupported}) is refused before anything is written.
     */
    public static TrainingSummary distill(Path teacherDir, Path studentDir, Path dataDir, DistillOptions options,
                                          Path outDir, boolean resume, TrainingListener listener, Backend backend)
            throws IOException {
        RunFolder run = new RunFolder(outDir);
        RunConfig config = new RunConfig(abs(teacherDir), abs(studentDir), abs(dataDir), options);
        if (resume) {
            Path saved = run.file(RunFolder.CONFIG);
            if (!Files.isRegularFile(saved)) throw new IOException(outDir + ": not a distillation run folder (no " + RunFolder.CONFIG + ")");
            config = RunConfig.read(saved).agreeingWith(config, saved);
            if (options != null) config = config.withProgressBar(options.progressBar());
        } else {
            if (teacherDir == null || studentDir == null || dataDir == null || options == null)
                throw new IllegalArgumentException("distill needs a teacher, a student, a data folder and options");
        }
        return run(config, run, resume, listener, backend);
    }

    private static TrainingSummary run(RunConfig config, RunFolder run, boolean resume, TrainingListener listener,
                                       Backend backend) throws IOException {
        DistillOptions o = config.options();
        Parallel.setThreads(o.threads());
        try (TokenData data = TokenData.open(config.data())) {
            Parameters teacherParams = Checkpoint.load(config.teacher(), backend.weightStorage()).params();
            MemoryCheck.of("distill").training(NemotronConfig.load(config.student().resolve("config.json")), o.batch(), o.seqLen())
                    .weights(teacherParams).activations(teacherParams.config(), o.batch(), o.seqLen(), false, o.batch() * o.seqLen())
                    .check();
            Parameters studentParams = Checkpoint.load(config.student()).params();
            check(studentParams.config(), config.student(), teacherParams.config(), config.teacher(), data, o.seqLen());
            int vocab = studentParams.config().vocabSize();
            // the backend takes the loss (or refuses it) before the run folder is locked and written
            try (TrainingSteps steps = new TrainingSteps(backend, studentParams, o.distillation(teacherParams), o.optimizerSettings(),
                    o.batch(), o.seqLen());
                 FolderLock lock = FolderLock.inside(run.dir(), resume ? "distill --resume" : "distill")) {
                if (!resume && run.latestStep().isPresent())
                    throw new IllegalStateException(run.dir() + " already holds a run; resume it or choose another folder");
                if (!resume) writeJson(run.file(RunFolder.CONFIG), config.toJson());
                TrainingLoop loop = new TrainingLoop(run, steps, o.lrSchedule(), new WindowSampler(data.train(), o.seqLen(), o.seed()),
                        o.loopSettings(), o.seed())
                        .checkpointFiles(List.of(data.tokenizerFile()))
                        .listener(listener)
                        .progressBar(o.progressBar())
                        .taskName("distill");
                if (data.val().length() >= 2) {
                    Evaluator evaluator = new Evaluator(steps::logits, vocab, o.seqLen(), o.batch());
                    loop.validation(() -> validate(evaluator, steps::teacherLogits, data, o, vocab));
                } else {
                    System.err.println(data.val().path() + " holds no validation tokens: distilling without validation");
                }
                return loop.run(resume);
            }
        }
    }

    /** val_ce_loss and val_ppl of the student, and its KL to the teacher, over the same validation windows. */
    static Map<String, Double> validate(Evaluator evaluator, Function<Batch, float[]> teacher, TokenData data, DistillOptions o, int vocab) {
        double[] kl = new double[2]; // token-weighted sum, positions
        Evaluator.Result r = evaluator.evaluate(data.val(), o.evalBatches(), (Batch batch, float[] logits) -> {
            boolean[] valid = batch.realMask();
            int count = DistillationLoss.count(valid);
            kl[0] += KlDivergence.forward(logits, teacher.apply(batch), valid, batch.tokens(), vocab, (float) o.tau()) * count;
            kl[1] += count;
        });
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_ce_loss", r.ceLoss());
        m.put("val_ppl", r.perplexity());
        m.put(VAL_KD_LOSS, kl[0] / kl[1]);
        return m;
    }

    private static void check(NemotronConfig student, Path studentDir, NemotronConfig teacher, Path teacherDir,
                              TokenData data, int seqLen) {
        if (student.vocabSize() != teacher.vocabSize())
            throw new IllegalArgumentException(studentDir + ": vocab_size " + student.vocabSize() + " differs from the teacher's "
                    + teacher.vocabSize() + " (" + teacherDir + "); distillation compares logits token by token");
        if (data.vocabSize() > student.vocabSize())
            throw new IllegalArgumentException(data.dir() + ": vocab_size " + data.vocabSize() + " exceeds the models' vocab_size "
                    + student.vocabSize());
        for (var m : List.of(Map.entry(studentDir, student), Map.entry(teacherDir, teacher)))
            if (seqLen > m.getValue().maxPositionEmbeddings())
                throw new IllegalArgumentException("seq_len " + seqLen + " exceeds max_position_embeddings "
                        + m.getValue().maxPositionEmbeddings() + " of " + m.getKey());
    }

    /** P2's teacher-correction learning rate: a fifth of the teacher's original peak. */
    public static double correctionLr(double originalPeakLr) {
        return originalPeakLr / 5;
    }

    /**
     * The teacher-correction stage (P2): fine-tunes the teacher on the distillation data with
     * plain cross-entropy through the {@link Trainer}, at {@code lr} (P2: {@link #correctionLr} of its
     * original peak) with a cosine decay to lr/10 and a 5% warm-up, batch shape, seed, threads and
     * intervals taken from {@code like}, on backend. Returns the corrected teacher: the run's final checkpoint,
     * an HF checkpoint folder to distil from.
     */
    public static Path correctTeacher(Path teacherDir, Path dataDir, int steps, double lr, DistillOptions like, Path outDir,
                                      Backend backend)
            throws IOException {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("init", abs(teacherDir).toString());
        spec.put("data", abs(dataDir).toString());
        spec.put("steps", steps);
        spec.put("batch", like.batch());
        spec.put("seq_len", like.seqLen());
        spec.put("grad_accum", like.gradAccum());
        spec.put("lr", lr);
        spec.put("min_lr", lr / 10);
        spec.put("warmup", DistillOptions.defaultWarmup(steps));
        spec.put("clip", like.clip());
        spec.put("weight_decay", like.weightDecay());
        spec.put("seed", like.seed());
        spec.put("eval_interval", Math.max(1, steps / 10));
        spec.put("eval_batches", like.evalBatches());
        spec.put("checkpoint_interval", 0);
        spec.put("threads", like.threads());
        TrainingSummary s = Trainer.run(TrainSpec.fromJson(spec), outDir, false,
                TrainOptions.defaults().withProgressBar(like.progressBar()).withBackend(backend));
        return s.lastCheckpoint();
    }

    /** Writes JSON so that the file is either the old one or the complete new one, whatever happens. */
    static void writeJson(Path file, JsonNode json) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(json));
        AtomicWrites.replaceFile(file, ch -> {
            while (bytes.hasRemaining()) ch.write(bytes);
        });
    }

    private static Path abs(Path p) {
        return p == null ? null : p.toAbsolutePath().normalize();
    }

    /** What a run folder's config.json records. */
    record RunConfig(Path teacher, Path student, Path data, DistillOptions options) {

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("teacher", teacher.toString());
            o.put("student", student.toString());
            o.put("data", data.toString());
            o.set("options", options.toJson(JSON));
            return o;
        }

        static RunConfig read(Path file) throws IOException {
            JsonNode root = JSON.readTree(file.toFile());
            try {
                for (String f : List.of("teacher", "student", "data"))
                    if (!root.hasNonNull(f)) throw new IllegalArgumentException("field " + f + " is missing");
                return new RunConfig(Path.of(root.get("teacher").asText()), Path.of(root.get("student").asText()),
                        Path.of(root.get("data").asText()), DistillOptions.fromJson(root.get("options")));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }

        /** This saved config, after checking that whatever the caller gave agrees with it. */
        RunConfig agreeingWith(RunConfig given, Path file) {
            StringBuilder diff = new StringBuilder();
            if (given.teacher != null && !given.teacher.equals(teacher)) diff.append(" teacher");
            if (given.student != null && !given.student.equals(student)) diff.append(" student");
            if (given.data != null && !given.data.equals(data)) diff.append(" data");
            if (given.options != null) for (String f : options.differences(given.options, JSON)) diff.append(' ').append(f);
            if (!diff.isEmpty())
                throw new IllegalArgumentException("resume " + file.getParent() + ": the given arguments differ from " + file
                        + " in" + diff + "; a resumed run keeps its configuration");
            return this;
        }

        RunConfig withProgressBar(boolean on) {
            return new RunConfig(teacher, student, data, options.withProgressBar(on));
        }
    }
}
