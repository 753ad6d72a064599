package minitron4j.experiments.cli;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
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

/** Logits, loss and hidden states of a batch, written as safetensors (HF's conventions). */
@Command(name = "forward", description = "Run the model on input_ids; write logits, loss and hidden_states.i.")
final class ForwardCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model folder (config.json + weights)")
    Path model;
    @Option(names = "--input", required = true, description = "safetensors with input_ids [B,T] (I32/I64), optional attention_mask")
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
        Batch batch = BatchFiles.read(input);
        MemoryCheck.of("forward").weights(params)
                .activations(params.config(), batch.batch(), batch.seq(), false, batch.tokens())
                .heap("output", (long) batch.tokens() * (params.config().vocabSize() + (params.config().numHiddenLayers() + 1L)
                        * params.config().hiddenSize()) * Float.BYTES)
                .remedy("a shorter input").check();
        int n = batch.tokens(), h = params.config().hiddenSize(), v = params.config().vocabSize();
        int layers = params.config().numHiddenLayers();
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        HiddenStates hidden = new HiddenStates(params.config());
        float[] logits;
        try (Backend.Session session = backend.backend().open(params)) {
            logits = session.forward(batch, hidden);
        }
        // HF's loss is a mean over the predicted positions: NaN when there are none (the kernel's 0 is for accumulation).
        int predicted = CrossEntropy.count(batch.nextTokenTargets(), n);
        double loss = predicted == 0 ? Double.NaN : CrossEntropy.forward(logits, batch.nextTokenTargets(), n, v, null);
        if (predicted == 0)
            System.err.println("forward: no position has a next token to predict (rows shorter than 2 real tokens): loss is NaN, as HF gives it");
        w.add(new Tensor("logits", new int[]{batch.batch(), batch.seq(), v}, logits), Dtype.F32);
        w.add(new Tensor("loss", new int[]{1}, new float[]{(float) loss}), Dtype.F32);
        for (int i = 0; i <= layers; i++)
            w.add(new Tensor("hidden_states." + i, new int[]{batch.batch(), batch.seq(), h}, hidden.get(i)), Dtype.F32);
        w.write(out);
        System.err.printf("loss %.6f over %d predicted positions -> %s%n", loss, predicted, out);
        return 0;
    }
}
