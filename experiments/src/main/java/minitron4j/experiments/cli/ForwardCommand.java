package minitron4j.experiments.cli;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Architecture;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.loss.HeadLoss;
import minitron4j.model.io.BatchFiles;
import minitron4j.model.HiddenStates;
import minitron4j.model.Parameters;
import minitron4j.model.backend.Backend;
import minitron4j.model.Tensor;
import minitron4j.model.MemoryCheck;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.OutputPaths;
import minitron4j.model.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The outputs of a batch under HF's names for the model's class (config.json's architectures):
 * {@code logits} for the causal LM, {@code last_hidden_state} for the base model, pooled
 * {@code logits} [B, num_labels] for sequence classification, {@code start_logits} and
 * {@code end_logits} for QA, {@code logits} [B, T, num_labels] for token classification; every class
 * also writes {@code hidden_states.i}, and {@code loss} when the input holds the targets.
 */
@Command(name = "forward", description = "Run the model on input_ids (and labels / start_positions, end_positions); write its class's HF outputs, loss and hidden_states.i.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder (config.json + weights)")
    Path model;
    @Option(names = "--input", required = true, description = "safetensors with input_ids [B,T] (I32/I64), optional attention_mask,"
            + " labels or start_positions/end_positions")
    Path input;
    @Option(names = "--out", required = true, description = "output safetensors")
    Path out;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        OutputPaths.refuseInputs("--out", out, input, model);
        Parameters params = Checkpoint.load(model, backend.backend().weightStorage()).params();
        NemotronConfig c = params.config();
        Batch batch = BatchFiles.withTargets(input, c, BatchFiles.read(input));
        MemoryCheck.of("forward").weights(params)
                .activations(c, batch.batch(), batch.seq(), false, batch.tokens())
                .heap("output", (long) batch.tokens() * (c.headOutputs() + (c.numHiddenLayers() + 1L) * c.hiddenSize()) * Float.BYTES)
                .remedy("a shorter input").check();
        int b = batch.batch(), t = batch.seq(), layers = c.numHiddenLayers();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        HiddenStates hidden = new HiddenStates(c);
        float[] outputs;
        try (Backend.Session session = backend.backend().open(params)) {
            outputs = session.forward(batch, hidden);
        }
        double loss = switch (c.architecture()) {
            case CAUSAL_LM -> {
                w.add(new Tensor("logits", new int[]{b, t, c.vocabSize()}, outputs), Dtype.F32);
                yield causalLmLoss(outputs, batch, c.vocabSize());
            }
            case BASE -> {
                w.add(new Tensor("last_hidden_state", new int[]{b, t, c.hiddenSize()}, hidden.get(layers)), Dtype.F32);
                yield Double.NaN;
            }
            case SEQUENCE_CLASSIFICATION -> {
                w.add(new Tensor("logits", new int[]{b, c.headOutputs()}, HeadLoss.pooled(c, outputs, batch)), Dtype.F32);
                yield headLoss(c, outputs, batch);
            }
            case QUESTION_ANSWERING -> {
                float[][] startEnd = HeadLoss.startEndLogits(outputs, b * t);
                w.add(new Tensor("start_logits", new int[]{b, t}, startEnd[0]), Dtype.F32);
                w.add(new Tensor("end_logits", new int[]{b, t}, startEnd[1]), Dtype.F32);
                yield headLoss(c, outputs, batch);
            }
            case TOKEN_CLASSIFICATION -> {
                w.add(new Tensor("logits", new int[]{b, t, c.headOutputs()}, outputs), Dtype.F32);
                yield headLoss(c, outputs, batch);
            }
        };
        if (!Double.isNaN(loss) || c.architecture() == Architecture.CAUSAL_LM)
            w.add(new Tensor("loss", new int[]{1}, new float[]{(float) loss}), Dtype.F32);
        for (int i = 0; i <= layers; i++)
            w.add(new Tensor("hidden_states." + i, new int[]{b, t, c.hiddenSize()}, hidden.get(i)), Dtype.F32);
        w.write(out);
        System.err.printf("%s: %s-> %s%n", c.architecture().hfName(), Double.isNaN(loss) ? "" : String.format("loss %.6f ", loss), out);
        return 0;
    }

    /** HF's causal-LM loss, a mean over the predicted positions: NaN when there are none (the kernel's 0 is for accumulation). */
    private static double causalLmLoss(float[] logits, Batch batch, int vocab) {
        int n = batch.tokens(), predicted = CrossEntropy.count(batch.nextTokenTargets(), n);
        if (predicted == 0)
            System.err.println("forward: no position has a next token to predict (rows shorter than 2 real tokens): loss is NaN, as HF gives it");
        return predicted == 0 ? Double.NaN : CrossEntropy.forward(logits, batch.nextTokenTargets(), n, vocab, null);
    }

    /** The task head's loss when the input file holds its targets (HF computes one only then); NaN otherwise. */
    private static double headLoss(NemotronConfig c, float[] outputs, Batch batch) {
        return batch.targets() == null ? Double.NaN : HeadLoss.value(c, outputs, batch);
    }
}
