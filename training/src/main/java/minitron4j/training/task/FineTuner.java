package minitron4j.training.task;

import minitron4j.kernels.Parallel;
import minitron4j.model.Architecture;
import minitron4j.model.HeadSpec;
import minitron4j.model.MemoryCheck;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Loss;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.FolderLock;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.training.RunFolder;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainingLoop;
import minitron4j.training.TrainingSteps;
import minitron4j.training.TrainingSummary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code minitron4j finetune}: a task head trained on labeled JSONL with the trainer's loop (AdamW,
 * schedule, checkpoints with exact resume, progress, validation with the task's metrics), on any
 * backend. Starting from a checkpoint of another class it does what HF's
 * {@code AutoModelFor<Task>.from_pretrained} does: the trunk is loaded and the head initialised
 * (labels from the data, sorted); pad_token_id, which batches and the classifier's pooling need, is
 * the model's, else the tokenizer's EOS (the usual choice for decoder-only models, which have no pad).
 */
public final class FineTuner {
    private FineTuner() {
    }

    public static TrainingSummary run(FinetuneSpec spec, Path dir, boolean resume, TrainOptions options) throws IOException {
        RunFolder run = new RunFolder(dir);
        try (FolderLock lock = FolderLock.inside(dir, resume ? "finetune --resume" : "finetune")) {
            if (resume) {
                FinetuneSpec asRun = FinetuneSpec.saved(run);
                if (spec != null && !asRun.differences(spec).isEmpty())
                    throw new IllegalArgumentException("--resume " + dir + ": the given options differ from " + run.file(RunFolder.CONFIG)
                            + " in " + asRun.differences(spec) + "; a resumed run keeps its options");
                spec = asRun;
            } else {
                run.start(spec.toJson());
            }
            return train(spec, run, resume, options);
        }
    }

    /** The model a run trains: the source's trunk under the task's head, labels from the data when the source has none. */
    public record TaskModel(Parameters params, Tokenizer tokenizer, int padId) {
        public NemotronConfig config() {
            return params.config();
        }
    }

    public static TaskModel taskModel(FinetuneSpec spec) throws IOException {
        Architecture task = spec.architecture();
        NemotronConfig source = NemotronConfig.load(spec.model());
        MemoryCheck.of("finetune").training(source, spec.batch(), spec.seqLen()).check();
        Path tokenizerFile = spec.model().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile))
            throw new IllegalArgumentException(spec.model() + ": no tokenizer.json (fine-tuning encodes the labeled text with the model's tokenizer)");
        Tokenizer tokenizer = HfTokenizer.load(tokenizerFile);
        HeadSpec head = source.architecture() == task ? source.head() : LabeledData.inferHead(spec.data(), task);
        int pad = source.hasPadToken() ? source.padTokenId()
                : tokenizer.eosId().orElseThrow(() -> new IllegalArgumentException(spec.model()
                + ": config.json has no pad_token_id and the tokenizer no EOS token to pad with"));
        NemotronConfig config = source.withHead(head).withPadTokenId(pad);
        if (spec.seqLen() > config.maxPositionEmbeddings())
            throw new IllegalArgumentException("--seq-len " + spec.seqLen() + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        Parameters params = Checkpoint.load(spec.model()).params().withHead(config, spec.seed());
        return new TaskModel(params, tokenizer, pad);
    }

    private static TrainingSummary train(FinetuneSpec spec, RunFolder run, boolean resume, TrainOptions options) throws IOException {
        Parallel.setThreads(spec.threads());
        TaskModel model = taskModel(spec);
        NemotronConfig config = model.config();
        TaskEncoder encoder = new TaskEncoder(model.tokenizer(), spec.seqLen());
        List<LabeledExample> train = LabeledData.read(spec.data(), config.head(), encoder);
        List<LabeledExample> val = spec.val() == null ? null : LabeledData.read(spec.val(), config.head(), encoder);
        System.err.printf("finetune: %s with %d labels on %d examples (%d held out), pad_token_id %d%n",
                config.architecture().hfName(), config.head().numLabels(), train.size(), val == null ? 0 : val.size(), model.padId());
        ExampleSampler sampler = new ExampleSampler(train, config.architecture(), config.headOutputs(), spec.seqLen(), model.padId(), spec.seed());
        List<Path> files = new ArrayList<>();
        for (String name : Checkpoint.TOKENIZER_FILES)
            if (Files.isRegularFile(spec.model().resolve(name))) files.add(spec.model().resolve(name));
        try (TrainingSteps steps = new TrainingSteps(options.backend(), model.params(), new Loss.TaskHead(), spec.optimizerSettings(),
                spec.batch(), spec.seqLen())) {
            TrainingLoop loop = new TrainingLoop(run, steps, spec.lrSchedule(), sampler, spec.loopSettings(), spec.seed())
                    .checkpointFiles(files).listener(options.listener()).progressBar(options.progressBar()).taskName("finetune");
            if (val != null)
                loop.validation(() -> TaskEvaluation.evaluate(steps::logits, config, val, spec.batch(), spec.seqLen(), model.padId()).metrics());
            return loop.run(resume);
        }
    }
}
