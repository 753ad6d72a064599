package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.distillation.DistillOptions;
import minitron4j.distillation.Distiller;
import minitron4j.kernels.Parallel;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.AtomicWrites;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import minitron4j.pruning.Aggregation;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs a {@link StudySpec}: data, teacher (cached), importance, the pruning checks, the pruned and
 * scratch students at equal tokens, the scratch curve, teacher correction, and every evaluation.
 * Everything lands in one run folder: {@code manifest.json}, {@code study.json},
 * {@code results.jsonl}, {@code scores.json}, one folder per arm and seed (its students and training
 * runs), {@code scratch-xN-seedS} per curve point, {@code checks/} for the pruning checks, and
 * (from {@link StudyReport}) {@code report.md} with the PNG plots.
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

    /**
     * One arm's outcome for one seed: held-out CE right after pruning and after training, window by
     * window (the same windows for every model evaluated on that data).
     */
    public record ArmResult(String arm, long seed, long parameters, Evaluator.Result afterPruning,
                            Evaluator.Result afterTraining, long tokens, double tokensPerSecond, Path model, Path trainingRun) {
        public double lossAfterPruning() {
            return afterPruning.ceLoss();
        }

        public double lossAfterTraining() {
            return afterTraining.ceLoss();
        }

        public double perplexity() {
            return afterTraining.perplexity();
        }
    }

    /** The scratch student trained on multiple x one arm's tokens with its own schedule. */
    public record ScratchPoint(double multiple, long seed, long tokens, Evaluator.Result result, Path trainingRun) {}

    /** A pruned model's held-out CE before any retraining, for a way of choosing what to prune. */
    public record PruningCheck(String practice, String variant, boolean paperChoice, Evaluator.Result result) {}

    /**
     * Teacher correction: where the correction corpus's data lives, the corrected teacher, both
     * teachers' importance scores on that corpus and their CE on its held-out text.
     */
    public record CorrectionResult(Path data, Path correctedTeacher, Path teacherScores, Path correctedScores,
                                   Evaluator.Result teacherBefore, Evaluator.Result teacherAfter, long tokens) {}

    public StudyReport.Inputs run() throws IOException {
        RunManifest manifest = RunManifest.start(runDir.resolve("manifest.json"), Parallel.threads(), spec.seeds().get(0));
        try {
            Files.writeString(runDir.resolve("study.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(spec.toJson()));
            Path data = data(spec.corpus(), spec.tokenizer());
            Path teacher = teacher(data);
            NemotronConfig teacherConfig = NemotronConfig.load(teacher);
            stage("importance (" + spec.calibrationSamples() + " calibration windows)");
            Path scores = runDir.resolve("scores.json");
            ImportanceScores importance = importance(teacher, data, ImportanceOptions.defaults().withDepthLoss(true));
            importance.write(scores);
            Evaluator.Result teacherEval = evaluate(teacher, data);
            results.row("teacher", -1, "trained", teacherConfig.parameterCount(), teacherEval.ceLoss());
            List<PruningCheck> checks = pruningChecks(teacher, teacherConfig, data, scores);

            List<ArmResult> arms = new ArrayList<>();
            List<ScratchPoint> curve = new ArrayList<>();
            CorrectionResult correction = null;
            if (spec.correction() != null && spec.arms().stream().anyMatch(StudySpec.CORRECTION_ARMS::contains))
                correction = correctTeacher(teacher, teacherConfig, data);
            for (long seed : spec.seeds()) {
                for (String arm : spec.arms()) {
                    if (arm.equals("corrected_kd"))
                        arms.add(runArm(arm, seed, correction.correctedTeacher(), teacherConfig, correction.correctedScores(), correction.data()));
                    else if (arm.equals("uncorrected_kd"))
                        arms.add(runArm(arm, seed, teacher, teacherConfig, correction.teacherScores(), correction.data()));
                    else arms.add(runArm(arm, seed, teacher, teacherConfig, scores, data));
                }
                curve.addAll(scratchCurve(seed, teacher, teacherConfig, data, arms));
            }
            manifest.finish("ok", null);
            return new StudyReport.Inputs(spec, runDir, teacher, teacherConfig, teacherEval, importance, arms, curve, checks,
                    correction, data);
        } catch (IOException | RuntimeException e) {
            manifest.finish("failed", e.getMessage());
            throw e;
        }
    }

    /** A token data folder, built once per (corpus, tokenizer, split) and cached. */
    Path data(List<String> corpus, String tokenizer) throws IOException {
        String tokenizerKey = Files.isRegularFile(Path.of(tokenizer)) ? hash(Files.readString(Path.of(tokenizer))) : tokenizer;
        String key = "data-" + hash(corpus + "|" + tokenizerKey + "|" + spec.valFraction() + "|" + spec.dataSeed());
        Path dir = cacheDir.resolve(key);
        if (Files.isRegularFile(dir.resolve(TokenData.INFO))) {
            stage("data (cached: " + dir + ")");
            return dir;
        }
        stage("data: tokenizing " + corpus + " with " + tokenizer);
        List<Path> texts = new ArrayList<>();
        for (String c : corpus) texts.addAll(corpusFiles(c));
        Path tmp = cacheDir.resolve(key + ".tmp");
        AtomicWrites.deleteRecursively(tmp);
        DataBuilder.build(texts, tokenizer, spec.valFraction(), spec.dataSeed(), tmp);
        Files.move(tmp, dir);
        return dir;
    }

    /** "sotu" (every address), "sotu:FROM-TO" (the addresses of those years, inclusive) or a path. */
    static List<Path> corpusFiles(String corpus) throws IOException {
        if (corpus.equals("sotu")) return List.of(Corpora.sotu());
        if (!corpus.startsWith("sotu:")) return List.of(Path.of(corpus));
        String[] years = corpus.substring(5).split("-");
        int from, to;
        try {
            if (years.length != 2) throw new NumberFormatException();
            from = Integer.parseInt(years[0].strip());
            to = Integer.parseInt(years[1].strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("study: corpus \"" + corpus + "\" is not sotu:FROM-TO (years, e.g. sotu:1790-1932)");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(Corpora.sotu())) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                if (!n.endsWith(".txt") || n.length() < 4 || !n.substring(0, 4).chars().allMatch(Character::isDigit)) return false;
                int year = Integer.parseInt(n.substring(0, 4));
                return year >= from && year <= to;
            }).sorted().toList();
        }
        if (files.isEmpty()) throw new IllegalArgumentException("study: no State of the Union address in " + corpus);
        return files;
    }

    /** The teacher: a given checkpoint, or one trained from the spec's shape and cached by its hash. */
    Path teacher(Path data) throws IOException {
        if (spec.teacherInit() != null) return spec.teacherInit();
        ObjectNode trainSpec = JSON.createObjectNode();
        trainSpec.set("model", spec.teacherModel());
        trainingFields(trainSpec, data, spec.teacherSteps(), spec.teacherLr(), spec.dataSeed(),
                Math.max(1, spec.teacherSteps() / 10));
        return trainCached("teacher", trainSpec, "", "teacher-log.jsonl");
    }

    /**
     * A CE training run cached by the hash of its spec and of what its init checkpoint's files are
     * (initFingerprint: a checkpoint at the same path may have changed): the checkpoint of an earlier
     * identical run, or a new run whose log is copied into the study's folder as logName.
     */
    private Path trainCached(String what, ObjectNode trainSpec, String initFingerprint, String logName) throws IOException {
        Path dir = cacheDir.resolve(what + "-" + hash(trainSpec + initFingerprint));
        Path done = dir.resolve("teacher.json");
        if (Files.isRegularFile(done)) {
            Path ckpt = Path.of(JSON.readTree(done.toFile()).get("checkpoint").asText());
            stage(what + " (cached: " + ckpt + ")");
            Files.copy(dir.resolve("log.jsonl"), runDir.resolve(logName), StandardCopyOption.REPLACE_EXISTING);
            return ckpt;
        }
        stage(what + ": training " + trainSpec.path("steps").asInt() + " steps");
        AtomicWrites.deleteRecursively(dir);
        TrainingSummary s = Trainer.run(TrainSpec.fromJson(trainSpec), dir, false, TrainOptions.defaults().withBackend(backend));
        ObjectNode marker = JSON.createObjectNode();
        marker.put("checkpoint", s.lastCheckpoint().toAbsolutePath().toString());
        marker.put("tokens_per_s", s.tokensPerSecond());
        Files.writeString(done, marker.toString());
        Files.copy(dir.resolve("log.jsonl"), runDir.resolve(logName), StandardCopyOption.REPLACE_EXISTING);
        return s.lastCheckpoint();
    }

    private ImportanceScores importance(Path model, Path data, ImportanceOptions options) throws IOException {
        return Pruning.importance(backend, model, data, spec.calibrationSamples(), spec.seqLen(), spec.batch(),
                options.withSource(null, spec.dataSeed()));
    }

    /** Each file of a checkpoint folder with its size and modification time. */
    static String fingerprint(Path checkpoint) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path f : files.sorted().toList())
                sb.append(f.getFileName()).append(':').append(Files.size(f)).append(':').append(Files.getLastModifiedTime(f)).append(';');
        }
        return sb.toString();
    }

    private PruningTarget widthTarget() {
        return new PruningTarget(spec.studentHidden(), spec.studentHeads(), spec.studentFfn(), null, null, null);
    }

    /**
     * Two of the paper's pruning practices checked without retraining, by the held-out CE of the
     * width-pruned teacher: the aggregation of activations over the sequence and the batch (P1's
     * choice: sequence mean, batch L2, against the other three of mean and L2), and single-shot
     * importance against iterative (half-way, re-scored on the half-pruned model, then to the target;
     * heads in the first step, whose GQA groups have no half-way).
     */
    List<PruningCheck> pruningChecks(Path teacher, NemotronConfig t, Path data, Path scores) throws IOException {
        stage("pruning checks: aggregations, single-shot vs iterative importance");
        Path dir = runDir.resolve("checks");
        AtomicWrites.deleteRecursively(dir);
        Files.createDirectories(dir);
        List<PruningCheck> checks = new ArrayList<>();
        for (Aggregation seq : List.of(Aggregation.MEAN, Aggregation.L2))
            for (Aggregation batch : List.of(Aggregation.L2, Aggregation.MEAN)) {
                boolean paper = seq == Aggregation.MEAN && batch == Aggregation.L2;
                String name = "seq-" + seq.key() + "_batch-" + batch.key();
                Path variantScores = scores;
                if (!paper) {
                    variantScores = dir.resolve(name + ".json");
                    importance(teacher, data, ImportanceOptions.defaults().withAggregations(seq, batch)).write(variantScores);
                }
                Path pruned = dir.resolve(name);
                Pruning.prune(teacher, variantScores, widthTarget(), PruningOptions.defaults(), pruned);
                checks.add(new PruningCheck("aggregation", "sequence " + seq.key() + ", batch " + batch.key(), paper,
                        evaluate(pruned, data)));
                AtomicWrites.deleteRecursively(pruned);
            }
        PruningTarget halfway = new PruningTarget((t.hiddenSize() + spec.studentHidden()) / 2, spec.studentHeads(),
                (t.intermediateSize() + spec.studentFfn()) / 2, null, null, null);
        Path half = dir.resolve("iterative-half");
        Pruning.prune(teacher, scores, halfway, PruningOptions.defaults(), half);
        Path halfScores = dir.resolve("iterative-half.json");
        importance(half, data, ImportanceOptions.defaults()).write(halfScores);
        Path iterative = dir.resolve("iterative");
        Pruning.prune(half, halfScores, widthTarget(), PruningOptions.defaults(), iterative);
        checks.add(new PruningCheck("importance", "iterative (2 steps, re-scored)", false, evaluate(iterative, data)));
        Evaluator.Result singleShot = checks.stream().filter(PruningCheck::paperChoice).findFirst().orElseThrow().result();
        checks.add(new PruningCheck("importance", "single-shot", true, singleShot));
        AtomicWrites.deleteRecursively(half);
        AtomicWrites.deleteRecursively(iterative);
        return checks;
    }

    /**
     * Fine-tunes the teacher on the correction corpus (tokenized with the study's tokenizer, cached),
     * scores both teachers' units on that corpus's calibration windows (what their arms prune by),
     * and evaluates both on its held-out text.
     */
    CorrectionResult correctTeacher(Path teacher, NemotronConfig teacherConfig, Path data) throws IOException {
        StudySpec.Correction c = spec.correction();
        Path correctionData = data(c.corpus(), data.resolve(TokenData.TOKENIZER).toAbsolutePath().toString());
        ObjectNode trainSpec = JSON.createObjectNode();
        trainSpec.put("init", teacher.toAbsolutePath().toString());
        trainingFields(trainSpec, correctionData, c.steps(), c.lr(), spec.dataSeed(), Math.max(1, c.steps() / 5));
        Path corrected = trainCached("corrected-teacher", trainSpec, fingerprint(teacher), "corrected-teacher-log.jsonl");
        stage("importance of both teachers on the correction corpus");
        Path teacherScores = runDir.resolve("scores-teacher-on-correction.json");
        Path correctedScores = runDir.resolve("scores-corrected-teacher.json");
        importance(teacher, correctionData, ImportanceOptions.defaults()).write(teacherScores);
        importance(corrected, correctionData, ImportanceOptions.defaults()).write(correctedScores);
        Evaluator.Result before = evaluate(teacher, correctionData), after = evaluate(corrected, correctionData);
        // Fine-tuning keeps the teacher's shape.
        results.row("teacher", -1, "on the correction corpus", teacherConfig.parameterCount(), before.ceLoss());
        results.row("corrected_teacher", -1, "on the correction corpus", teacherConfig.parameterCount(), after.ceLoss());
        return new CorrectionResult(correctionData, corrected, teacherScores, correctedScores, before, after,
                (long) c.steps() * spec.batch() * spec.seqLen());
    }

    /** Builds one arm's student from teacher (pruned by scores, the teacher's on data) and trains it on data. */
    ArmResult runArm(String arm, long seed, Path teacher, NemotronConfig teacherConfig, Path scores, Path data)
            throws IOException {
        Path armDir = runDir.resolve(arm + "-seed" + seed);
        Path student = armDir.resolve("student");
        stage(arm + " (seed " + seed + "): building the student");
        AtomicWrites.deleteRecursively(armDir);
        Files.createDirectories(armDir);
        switch (arm) {
            case "width_kd", "width_ce", "width_kd_intermediate", "corrected_kd", "uncorrected_kd" ->
                    Pruning.prune(teacher, scores, widthTarget(), PruningOptions.defaults(), student);
            case "random_kd" -> Pruning.prune(teacher, null, widthTarget(), PruningOptions.defaults().withRandomSeed(seed), student);
            case "depth_kd" -> Pruning.prune(teacher, scores, PruningTarget.keepAll().withNumLayers(depthMatchingWidth(teacherConfig)),
                    PruningOptions.defaults().withDepthScore(PruningOptions.DepthScore.LOSS), student);
            case "scratch" -> initScratch(teacher, teacherConfig, seed, student);
            default -> throw new IllegalArgumentException("unknown arm " + arm);
        }
        NemotronConfig sc = NemotronConfig.load(student);
        Evaluator.Result before = evaluate(student, data);
        results.row(arm, seed, "pruned", sc.parameterCount(), before.ceLoss());

        stage(arm + " (seed " + seed + "): training " + spec.armSteps() + " steps, " + spec.armTokens() + " tokens");
        Path trainDir = armDir.resolve("train");
        TrainingSummary s = arm.endsWith("_ce") || arm.equals("scratch")
                ? trainCe(student, data, spec.armSteps(), arm.equals("scratch") ? spec.teacherLr() : spec.armLr(), seed, trainDir)
                : distill(arm, teacher, student, data, seed, sc, teacherConfig, trainDir);
        Path trained = s.lastCheckpoint();
        Evaluator.Result after = evaluate(trained, data);
        results.row(arm, seed, "trained", sc.parameterCount(), after.ceLoss());
        return new ArmResult(arm, seed, sc.parameterCount(), before, after, spec.armTokens(), s.tokensPerSecond(), trained, trainDir);
    }

    private TrainingSummary distill(String arm, Path teacher, Path student, Path data, long seed, NemotronConfig studentConfig,
                                    NemotronConfig teacherConfig, Path trainDir) throws IOException {
        DistillOptions o = DistillOptions.defaults(spec.armSteps()).withShape(spec.batch(), spec.seqLen())
                .withSchedule(spec.armLr(), Math.max(1, spec.armSteps() / 20)).withSeed(seed)
                .withLoss(LogitLossKind.FORWARD_KL, spec.tau(), 0, 0)
                .withIntervals(Math.max(1, spec.armSteps() / 5), spec.evalBatches(), spec.armSteps());
        if (arm.equals("width_kd_intermediate")) o = o.withIntermediatePairs(everyLayer(studentConfig, teacherConfig));
        return Distiller.distill(teacher, student, data, o, trainDir, false, row -> {}, backend);
    }

    /** Every hidden state of the student paired with the teacher's at the same depth (width pruning keeps the layers). */
    static List<LayerPair> everyLayer(NemotronConfig student, NemotronConfig teacher) {
        List<LayerPair> pairs = new ArrayList<>();
        for (int k = 1; k <= student.numHiddenLayers(); k++)
            pairs.add(new LayerPair(k, (int) Math.round((double) k * teacher.numHiddenLayers() / student.numHiddenLayers())));
        return pairs;
    }

    private TrainingSummary trainCe(Path init, Path data, int steps, double lr, long seed, Path trainDir) throws IOException {
        ObjectNode t = JSON.createObjectNode();
        t.put("init", init.toAbsolutePath().toString());
        trainingFields(t, data, steps, lr, seed, Math.max(1, steps / 5));
        return Trainer.run(TrainSpec.fromJson(t), trainDir, false, TrainOptions.defaults().withBackend(backend));
    }

    /** The width target's shape with fresh weights from seed (and the teacher's tokenizer). */
    private void initScratch(Path teacher, NemotronConfig teacherConfig, long seed, Path student) throws IOException {
        NemotronConfig c = PruningPlan.of(teacherConfig, null, widthTarget(), PruningOptions.defaults().withRandomSeed(seed)).prunedConfig();
        Checkpoint.save(student, c, Parameters.initialize(c, seed), Dtype.F32);
        Checkpoint.copyTokenizerFiles(teacher, student);
    }

    /**
     * The scratch student at every budget of the curve, each a fresh run with its own schedule; the
     * budget of one arm's tokens reuses the scratch arm when it ran.
     */
    List<ScratchPoint> scratchCurve(long seed, Path teacher, NemotronConfig teacherConfig, Path data, List<ArmResult> arms)
            throws IOException {
        List<ScratchPoint> curve = new ArrayList<>();
        for (double multiple : spec.scratchBudgets()) {
            int steps = spec.scratchSteps(multiple);
            long tokens = (long) steps * spec.batch() * spec.seqLen();
            ArmResult same = steps == spec.armSteps() ? arms.stream()
                    .filter(a -> a.arm().equals("scratch") && a.seed() == seed).findFirst().orElse(null) : null;
            if (same != null) {
                curve.add(new ScratchPoint(multiple, seed, tokens, same.afterTraining(), same.trainingRun()));
                continue;
            }
            Path dir = runDir.resolve(String.format(java.util.Locale.ROOT, "scratch-x%s-seed%d", budgetLabel(multiple), seed));
            stage("scratch curve (seed " + seed + "): " + budgetLabel(multiple) + "x the arms' tokens, " + steps + " steps");
            AtomicWrites.deleteRecursively(dir);
            Path student = dir.resolve("student");
            initScratch(teacher, teacherConfig, seed, student);
            TrainingSummary s = trainCe(student, data, steps, spec.teacherLr(), seed, dir.resolve("train"));
            Evaluator.Result r = evaluate(s.lastCheckpoint(), data);
            results.row("scratch-x" + budgetLabel(multiple), seed, "trained", NemotronConfig.load(student).parameterCount(), r.ceLoss());
            curve.add(new ScratchPoint(multiple, seed, tokens, r, dir.resolve("train")));
        }
        return curve;
    }

    /** 4 for 4.0, 0.5 for 0.5. */
    static String budgetLabel(double multiple) {
        return multiple == Math.rint(multiple) ? Long.toString((long) multiple) : Double.toString(multiple);
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
        long target = PruningPlan.of(t, null, widthTarget(), PruningOptions.defaults().withRandomSeed(0L)).prunedConfig().parameterCount();
        int best = 1;
        for (int l = 1; l < t.numHiddenLayers(); l++)
            if (Math.abs(t.withShape(t.hiddenSize(), t.numAttentionHeads(), t.numKeyValueHeads(), t.intermediateSize(), l)
                    .parameterCount() - target) < Math.abs(t.withShape(t.hiddenSize(), t.numAttentionHeads(),
                    t.numKeyValueHeads(), t.intermediateSize(), best).parameterCount() - target)) best = l;
        return best;
    }

    /** Held-out CE over evalBatches batches of windows spread over val.bin (the same windows for every model). */
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
            Files.writeString(file, o + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }
}
