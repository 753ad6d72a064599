package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.MemoryCheck;
import minitron4j.model.io.Checkpoint;
import minitron4j.training.Evaluator;
import minitron4j.training.TokenData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Validation loss and perplexity of a model on a data folder's val.bin. */
@Command(name = "eval", description = "Token-weighted mean CE and perplexity over non-overlapping windows of val.bin.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--data", required = true, description = "data folder (from `minitron4j data`)")
    Path data;
    @Option(names = "--seq-len", description = "window length (default: max_position_embeddings, at most 1024)")
    Integer seqLen;
    @Option(names = "--batch", defaultValue = "8")
    int batch;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        Backend engine = backend.backend();
        Parameters params = Checkpoint.load(model, engine.weightStorage()).params();
        NemotronConfig config = params.config();
        try (TokenData tokens = TokenData.open(data); Backend.Session session = engine.open(params)) {
            if (tokens.vocabSize() > config.vocabSize())
                throw new IllegalArgumentException(data + " has vocab_size " + tokens.vocabSize() + " but " + model
                        + " has only " + config.vocabSize() + " embeddings");
            int t = seqLen != null ? seqLen : Math.min(1024, config.maxPositionEmbeddings());
            MemoryCheck.of("eval").weights(params).activations(config, batch, t, false, batch * t)
                    .heap("logits copy", (long) batch * t * config.vocabSize() * Float.BYTES)
                    .remedy("a smaller --batch or --seq-len").check();
            Evaluator.Result r = new Evaluator(session, t, batch).evaluate(tokens.val(), Long.MAX_VALUE);
            System.err.printf("val CE %.4f nats, perplexity %.2f over %,d tokens (%d windows of %d)%n",
                    r.ceLoss(), r.perplexity(), r.tokens(), r.windows(), t);
            ObjectNode o = JsonOutput.object();
            o.put("val_ce_loss", r.ceLoss());
            o.put("val_ppl", r.perplexity());
            o.put("tokens", r.tokens());
            JsonOutput.print(o);
        }
        return 0;
    }
}
