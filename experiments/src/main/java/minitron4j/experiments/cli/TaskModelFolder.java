package minitron4j.experiments.cli;

import minitron4j.model.Architecture;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import minitron4j.training.task.TaskInference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A fine-tuned model folder opened for the classify, qa and tag commands: checked to be of the
 * class the command needs before its weights are read (as the backend reads them), with its tokenizer.
 */
record TaskModelFolder(Parameters params, Tokenizer tokenizer) {
    static TaskModelFolder open(Path dir, Architecture needed, Backend backend) throws IOException {
        TaskInference.requireClass(NemotronConfig.load(dir), needed, dir.toString());
        Path tok = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tok)) throw new IllegalArgumentException(dir + ": no tokenizer.json beside the weights");
        return new TaskModelFolder(Checkpoint.load(dir, backend.weightStorage()).params(), HfTokenizer.load(tok));
    }
}
