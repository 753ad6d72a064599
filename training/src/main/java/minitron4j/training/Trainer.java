package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.kernels.Parallel;
import minitron4j.model.MemoryCheck;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Loss;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.FolderLock;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training from a {@link TrainSpec}: builds the model (from scratch or from a checkpoint), the
 * data sampler, AdamW and the schedule, and hands them to the {@link TrainingLoop} with
 * {@link TrainingSteps} of next-token cross-entropy on the {@link TrainOptions}' backend and
 * validation (val_ce_loss, val_ppl) on val.bin.
 */
public final class Trainer {
    private Trainer() {}

    /** Entry point of {@code minitron4j train}: cross-entropy, a progress bar on stderr. */
    public static TrainingSummary run(TrainSpec spec, Path outDir, boolean resume) throws IOException {
        return run(spec, outDir, resume, TrainOptions.defaults());
    }

    /**
     * Trains into outDir (or spec.out when outDir is null). With resume, the run folder's own
     * config.json is the spec (spec may then be null; if given it must agree with it) and training
     * continues from the checkpoint {@code latest} names.
     */
    public static TrainingSummary run(TrainSpec spec, Path outDir, boolean resume, TrainOptions options)
            throws IOException {
        Path dir = outDir != null ? outDir : spec == null ? null : spec.out();
        if (dir == null) throw new IllegalArgumentException("no output folder: pass one or set out in the spec");
        RunFolder run = new RunFolder(dir);
        if (resume && !Files.isRegularFile(run.file(RunFolder.CONFIG)))
            throw new IOException(dir + ": not a run folder (no " + RunFolder.CONFIG + ")");
        try (FolderLock lock = FolderLock.inside(dir, resume ? "train --resume" : "train")) {
            return runOwned(spec, run, resume, options);
        }
    }

    /** {@link #run(TrainSpec, Path, boolean, TrainOptions)} in a run folder this process owns. */
    private static TrainingSummary runOwned(TrainSpec spec, RunFolder run, boolean resume, TrainOptions options) throws IOException {
        Path dir = run.dir();
        if (resume) {
            Path saved = run.file(RunFolder.CONFIG);
            TrainSpec asRun = TrainSpec.load(saved);
            if (spec != null && !asRun.differences(spec).isEmpty())
                throw new IllegalArgumentException("--resume " + dir + ": the given spec differs from " + saved
                        + " in " + asRun.differences(spec) + "; a resumed run keeps its spec");
            spec = asRun;
        } else {
            run.start(spec.toJson());
        }
        return train(spec, run, resume, options);
    }

    private static TrainingSummary train(TrainSpec spec, RunFolder run, boolean resume, TrainOptions options)
            throws IOException {
        Parallel.setThreads(spec.threads());
        try (TokenData data = TokenData.open(spec.data())) {
            NemotronConfig planned = spec.init() != null ? NemotronConfig.load(spec.init().resolve("config.json"))
                    : modelConfig(spec.model(), data);
            MemoryCheck.of("train").training(planned, spec.batch(), spec.seqLen()).check();
            Parameters params = spec.init() != null ? Checkpoint.load(spec.init()).params()
                    : Parameters.initialize(planned, spec.seed());
            NemotronConfig config = params.config();
            String source = spec.init() != null ? spec.init().toString() : "spec field model";
            if (data.vocabSize() > config.vocabSize())
                throw new IllegalArgumentException(spec.data() + ": vocab_size " + data.vocabSize()
                        + " exceeds the model's vocab_size " + config.vocabSize() + " (" + source + ")");
            if (spec.seqLen() > config.maxPositionEmbeddings())
                throw new IllegalArgumentException("spec: seq_len " + spec.seqLen() + " exceeds max_position_embeddings "
                        + config.maxPositionEmbeddings() + " (" + source + ")");
            WindowSampler sampler = new WindowSampler(data.train(), spec.seqLen(), spec.seed());
            boolean validate = data.val().length() >= 2;
            if (!validate) System.err.println(data.val().path() + " holds no validation tokens: training without validation");
            try (TrainingSteps steps = new TrainingSteps(options.backend(), params, Loss.crossEntropy(), spec.optimizerSettings(),
                    spec.batch(), spec.seqLen())) {
                TrainingLoop loop = loop(new TrainingLoop(run, steps, spec.lrSchedule(), sampler, spec.loopSettings(), spec.seed()),
                        data, options);
                if (validate)
                    loop.validation(crossEntropyValidation(new Evaluator(steps::logits, config.vocabSize(), spec.seqLen(),
                            spec.batch()), data, spec));
                return loop.run(resume);
            }
        }
    }

    private static TrainingLoop loop(TrainingLoop loop, TokenData data, TrainOptions options) {
        return loop.checkpointFiles(List.of(data.tokenizerFile()))
                .plotReferences(references(data))
                .listener(options.listener())
                .progressBar(options.progressBar());
    }

    /**
     * Mean CE over eval_batches batches of non-overlapping windows spread evenly over val.bin (the
     * same windows every time), logged as val_ce_loss and val_ppl.
     */
    private static Validation crossEntropyValidation(Evaluator evaluator, TokenData data, TrainSpec spec) {
        return () -> {
            Evaluator.Result r = evaluator.evaluate(data.val(), spec.evalBatches());
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("val_ce_loss", r.ceLoss());
            m.put("val_ppl", r.perplexity());
            return m;
        };
    }

    /**
     * The config of a model trained from scratch: the spec's config.json fields, with model_type,
     * vocab_size and eos_token_id taken from the data when absent.
     */
    static NemotronConfig modelConfig(ObjectNode fields, TokenData data) {
        ObjectNode o = fields.deepCopy();
        if (!o.has("model_type")) o.put("model_type", "nemotron");
        if (!o.has("vocab_size")) o.put("vocab_size", data.vocabSize());
        if (!o.has("eos_token_id")) o.put("eos_token_id", data.eosId());
        return NemotronConfig.parse(o, "spec field model");
    }

    /** Lines for loss.png from data.json: the unigram entropy of the training tokens and the unigram CE of val. */
    private static List<LossPlot.Reference> references(TokenData data) {
        List<LossPlot.Reference> refs = new ArrayList<>();
        JsonNode h = data.info().get(DataBuilder.UNIGRAM_ENTROPY);
        if (h != null && h.isNumber()) refs.add(new LossPlot.Reference("unigram entropy (train)", h.doubleValue()));
        JsonNode v = data.info().get(DataBuilder.VAL_UNIGRAM_CE);
        if (v != null && v.isNumber()) refs.add(new LossPlot.Reference("unigram model CE on val", v.doubleValue()));
        return refs;
    }
}
