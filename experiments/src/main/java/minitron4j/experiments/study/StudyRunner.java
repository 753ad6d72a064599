package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.distillation.DistillOptions;
import minitron4j.distillation.Distiller;
import minitron4j.kernels.Parallel;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.loss.LogitLossKind;
import minitron4j.pruning.Calibration;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.Pruning;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.training.Corpora;
import minitron4j.training.DataBuilder;
import minitron4j.training.Evaluator;
import minitron4j.training.RunManifest;
import minitron4j.training.TokenData;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainSpec;
import minitron4j.training.Trainer;
import minitron4j.training.TrainingSummary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Runs a {@link StudySpec}: data, teacher (cached), importance, the pruned and scratch students,
 * their training at equal tokens, evaluation, and the report. Everything lands in one run folder:
 * {@code manifest.json}, {@code study.json}, {@code results.jsonl}, {@code scores.json}, one folder
 * per arm and seed (its students and training runs), {@code report.md} and the PNG plots.
 */
public final class StudyRunner {
    static final ObjectMapper JSON = new ObjectMapper();

    private final StudySpec spec;
    private final Path runDir;
    private final Path cacheDir;
    private final Backend backend;
    private final ResultsLog results;

    /**
     * Every stage that computes (teacher training, importance, the arms' training, every
     * evaluation) runs on backend. Trained teachers are cached by their spec alone: a checkpoint
     * does not depend on the backend that reads it.
     */
    public StudyRunner(StudySpec spec, Path runDir, Path cacheDir, Backend backend) throws IOException {
        this.spec = spec;
        this.backend = backend;
        this.runDir = runDir;
        this.cacheDir = cacheDir;
        Files.createDirectories(runDir);
        this.results = new ResultsLog(runDir.resolve("results.jsonl"));
    }

    /** One arm's outcome for one seed. */
    public record ArmResult(String arm, long seed, long parameters, double lossAfterPruning, double lossAfterTraining,
                            double perplexity, long tokens, double tokensPerSecond, Path model, Path trainingRun) {}

    public StudyReport.Inputs run() throws IOException {
        RunManifest manifest = RunManifest.start(runDir.resolve("manifest.json"), Parallel.threads(), spec.seeds().get(0));
        try {
            Files.writeString(runDir.resolve("study.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec.toJson()));
            Path data = data();
            Path teacher = teacher(data);
            NemotronConfig teacherConfig = NemotronConfig.load(teacher);
            stage("importance (" + spec.calibrationSamples() + " calibration windows)");
            Path scores = runDir.resolve("scores.json");
            ImportanceScores importance = Pruning.importance(backend, Checkpoint.load(teacher, backend.weightStorage()).params(),
                    Calibration.windows(data, spec.calibrationSamples(), spec.seqLen(), spec.batch(), spec.dataSeed()),
                    ImportanceOptions.defaults().withDepthLoss(true).withSource(teacher.toString(), spec.dataSeed()));
            importance.write(scores);
            double teacherLoss = validationLoss(teacher, data);
            results.row("teacher", -1, "trained", teacherConfig.parameterCount(), teacherLoss);

            List<ArmResult> arms = new ArrayList<>();
            for (long seed : spec.seeds())
                for (String arm : spec.arms()) arms.add(runArm(arm, seed, teacher, teacherConfig, scores, data));
            manifest.finish("ok", null);
            return new StudyReport.Inputs(spec, runDir, teacher, teacherConfig, teacherLoss, importance, arms, data);
        } catch (IOException | RuntimeException e) {
            manifest.finish("failed", e.getMessage());
            throw e;
        }
    }

    /** The token data folder, built once per (corpus, tokenizer, split) and cached. */
    Path data() throws IOException {
        String key = "data-" + hash(spec.corpus() + "|" + spec.tokenizer() + "|" + spec.valFraction() + "|" + spec.dataSeed());
        Path dir = cacheDir.resolve(key);
        if (Files.isRegularFile(dir.resolve(TokenData.INFO))) {
            stage("data (cached: " + dir + ")");
            return dir;
        }
        stage("data: tokenizing " + spec.corpus() + " with " + spec.tokenizer());
        List<Path> texts = new ArrayList<>();
        for (String c : spec.corpus()) texts.add(c.equals("sotu") ? Corpora.sotu() : Path.of(c));
        Path tmp = cacheDir.resolve(key + ".tmp");
        deleteRecursively(tmp);
        DataBuilder.build(texts, spec.tokenizer(), spec.valFraction(), spec.dataSeed(), tmp);
        Files.move(tmp, dir);
        return dir;
    }

    /** The teacher: a given checkpoint, or one trained from the spec's shape and cached by its hash. */
    Path teacher(Path data) throws IOException {
        if (spec.teacherInit() != null) return spec.teacherInit();
        ObjectNode trainSpec = JSON.createObjectNode();
        trainSpec.set("model", spec.teacherModel());
        trainingFields(trainSpec, data, spec.teacherSteps(), spec.teacherLr(), spec.dataSeed(),
                Math.max(1, spec.teacherSteps() / 10));
        Path dir = cacheDir.resolve("teacher-" + hash(trainSpec.toString()));
        Path done = dir.resolve("teacher.json");
        if (Files.isRegularFile(done)) {
            Path ckpt = Path.of(JSON.readTree(done.toFile()).get("checkpoint").asText());
            stage("teacher (cached: " + ckpt + ")");
            return ckpt;
        }
        stage("teacher: training " + spec.teacherModel() + " for " + spec.teacherSteps() + " steps");
        deleteRecursively(dir);
        TrainingSummary s = Trainer.run(TrainSpec.fromJson(trainSpec), dir, false, TrainOptions.defaults().withBackend(backend));
        ObjectNode marker = JSON.createObjectNode();
        marker.put("checkpoint", s.lastCheckpoint().toAbsolutePath().toString());
        marker.put("tokens_per_s", s.tokensPerSecond());
        Files.writeString(done, marker.toString());
        Files.copy(dir.resolve("log.jsonl"), runDir.resolve("teacher-log.jsonl"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return s.lastCheckpoint();
    }

    ArmResult runArm(String arm, long seed, Path teacher, NemotronConfig teacherConfig, Path scores, Path data)
            throws IOException {
        Path armDir = runDir.resolve(arm + "-seed" + seed);
        Path student = armDir.resolve("student");
        stage(arm + " (seed " + seed + "): building the student");
        deleteRecursively(armDir);
        Files.createDirectories(armDir);
        PruningTarget width = new PruningTarget(spec.studentHidden(), spec.studentHeads(), spec.studentFfn(), null, null, null);
        switch (arm) {
            case "width_kd", "width_ce" -> Pruning.prune(teacher, scores, width, PruningOptions.defaults(), student);
            case "random_kd" -> Pruning.prune(teacher, null, width, PruningOptions.defaults().withRandomSeed(seed), student);
            case "depth_kd" -> Pruning.prune(teacher, scores, PruningTarget.keepAll().withNumLayers(depthMatchingWidth(teacherConfig)),
                    PruningOptions.defaults().withDepthScore(PruningOptions.DepthScore.LOSS), student);
            case "scratch" -> {
                NemotronConfig c = PruningPlan.of(teacherConfig, null, width, PruningOptions.defaults().withRandomSeed(seed)).prunedConfig();
                Checkpoint.save(student, c, Parameters.initialize(c, seed), Dtype.F32);
                Checkpoint.copyTokenizerFiles(teacher, student);
            }
            default -> throw new IllegalArgumentException("unknown arm " + arm);
        }
        NemotronConfig sc = NemotronConfig.load(student);
        double before = validationLoss(student, data);
        results.row(arm, seed, "pruned", sc.parameterCount(), before);

        stage(arm + " (seed " + seed + "): training " + spec.armSteps() + " steps, " + spec.armTokens() + " tokens");
        Path trainDir = armDir.resolve("train");
        TrainingSummary s;
        if (arm.endsWith("_kd")) {
            DistillOptions o = DistillOptions.defaults(spec.armSteps()).withShape(spec.batch(), spec.seqLen())
                    .withSchedule(spec.armLr(), Math.max(1, spec.armSteps() / 20)).withSeed(seed)
                    .withLoss(LogitLossKind.FORWARD_KL, spec.tau(), 0, 0)
                    .withIntervals(Math.max(1, spec.armSteps() / 5), spec.evalBatches(), spec.armSteps());
            s = Distiller.distill(teacher, student, data, o, trainDir, false, row -> {}, backend);
        } else {
            ObjectNode t = JSON.createObjectNode();
            t.put("init", student.toAbsolutePath().toString());
            trainingFields(t, data, spec.armSteps(), arm.equals("scratch") ? spec.teacherLr() : spec.armLr(), seed,
                    Math.max(1, spec.armSteps() / 5));
            s = Trainer.run(TrainSpec.fromJson(t), trainDir, false, TrainOptions.defaults().withBackend(backend));
        }
        Path trained = s.lastCheckpoint();
        Evaluator.Result after = evaluate(trained, data);
        results.row(arm, seed, "trained", sc.parameterCount(), after.ceLoss());
        return new ArmResult(arm, seed, sc.parameterCount(), before, after.ceLoss(), after.perplexity(),
                spec.armTokens(), s.tokensPerSecond(), trained, trainDir);
    }

    /**
     * The TrainSpec fields every CE run of the study shares: the study's batch shape and
     * validation windows, 5% warm-up, one checkpoint at the end.
     */
    private void trainingFields(ObjectNode t, Path data, int steps, double lr, long seed, int evalInterval) {
        t.put("data", data.toAbsolutePath().toString());
        t.put("steps", steps);
        t.put("batch", spec.batch());
        t.put("seq_len", spec.seqLen());
        t.put("lr", lr);
        t.put("warmup", Math.max(1, steps / 20));
        t.put("seed", seed);
        t.put("eval_interval", evalInterval);
        t.put("eval_batches", spec.evalBatches());
        t.put("checkpoint_interval", steps);
    }

    /** The layer count whose depth-pruned model has the parameter count closest to the width-pruned one. */
    int depthMatchingWidth(NemotronConfig t) {
        long target = PruningPlan.of(t, null, new PruningTarget(spec.studentHidden(), spec.studentHeads(),
                spec.studentFfn(), null, null, null), PruningOptions.defaults().withRandomSeed(0L)).prunedConfig().parameterCount();
        int best = 1;
        for (int l = 1; l < t.numHiddenLayers(); l++)
            if (Math.abs(t.withShape(t.hiddenSize(), t.numAttentionHeads(), t.numKeyValueHeads(), t.intermediateSize(), l)
                    .parameterCount() - target) < Math.abs(t.withShape(t.hiddenSize(), t.numAttentionHeads(),
                    t.numKeyValueHeads(), t.intermediateSize(), best).parameterCount() - target)) best = l;
        return best;
    }

    double validationLoss(Path model, Path data) throws IOException {
        return evaluate(model, data).ceLoss();
    }

    /** Held-out CE over the first evalBatches windows of val.bin (the same windows for every model). */
    Evaluator.Result evaluate(Path model, Path data) throws IOException {
        Parameters params = Checkpoint.load(model, backend.weightStorage()).params();
        try (TokenData tokens = TokenData.open(data); Backend.Session session = backend.open(params)) {
            return new Evaluator(session, spec.seqLen(), spec.batch()).evaluate(tokens.val(), spec.evalBatches());
        }
    }

    static void stage(String what) {
        System.err.println("== " + what);
    }

    static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    /** results.jsonl: one row per (arm, seed, stage). */
    static final class ResultsLog {
        private final Path file;

        ResultsLog(Path file) throws IOException {
            this.file = file;
            Files.deleteIfExists(file);
        }

        void row(String arm, long seed, String stage, long params, double valLoss) throws IOException {
            ObjectNode o = JSON.createObjectNode();
            o.put("arm", arm);
            if (seed >= 0) o.put("seed", seed);
            o.put("stage", stage);
            o.put("parameters", params);
            o.put("val_ce_loss", valLoss);
            o.put("val_ppl", Math.exp(valLoss));
            Files.writeString(file, o + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
    }
}
