package minitron4j.experiments.cli;

import minitron4j.model.Architecture;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.training.task.TaskEncoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fine-tuned model folder opened for the classify, qa and tag commands: its weights (as the
 * backend reads them), its tokenizer, and the encoder fine-tuning used, checked to be of the class
 * the command needs.
 */
record TaskModelFolder(Parameters params, TaskEncoder encoder, int padId) {
    static TaskModelFolder open(Path dir, Architecture needed, Backend backend, int seqLen) throws IOException {
        NemotronConfig c = NemotronConfig.load(dir);
        if (c.architecture() != needed)
            throw new IllegalArgumentException(dir + ": config.json's architectures names " + c.architecture().hfName() + "; this command needs a "
                    + needed.hfName() + " (minitron4j finetune --task " + needed.task() + " makes one)");
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok)) throw new IllegalArgumentException(dir + ": no tokenizer.json beside the weights");
        Parameters params = Checkpoint.load(dir, backend.weightStorage()).params();
        int pad = c.hasPadToken() ? c.padTokenId() : 0; // without a pad token, rows run one at a time (HF's rule) and are never padded
        return new TaskModelFolder(params, new TaskEncoder(HfTokenizer.load(tok), Math.min(seqLen, c.maxPositionEmbeddings())), pad);
    }

    NemotronConfig config() {
        return params.config();
    }

    /** Rows per forward pass: one when config.json has no pad token (HF's sequence classifier refuses more), else the asked count. */
    int rows(int asked) {
        return config().hasPadToken() ? asked : 1;
    }
}
