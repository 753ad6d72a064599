package minitron4j.experiments.cli;

import minitron4j.model.Batch;
import minitron4j.model.BatchFiles;
import minitron4j.model.LogitLoss;
import minitron4j.model.ModelFormatException;
import minitron4j.model.Nemotron;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.model.io.SafetensorsFile;
import minitron4j.model.io.SafetensorsWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** The loss and d loss / d parameter for every parameter, under HF names (CE, or KD with teacher logits). */
@Command(name = "grads", description = "Write the loss and every parameter's gradient for a batch.")
final class GradsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true)
    Path model;
    @Option(names = "--input", required = true, description = "safetensors with input_ids [B,T]")
    Path input;
    @Option(names = "--out", required = true)
    Path out;
    @Option(names = "--teacher-logits", description = "safetensors with teacher_logits [B,T,V]: use the KD loss")
    Path teacherLogits;
    @Option(names = "--temperature", defaultValue = "1", description = "KD temperature tau (default 1)")
    float temperature;
    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        Nemotron net = new Nemotron(Checkpoint.load(model).params());
        Batch batch = BatchFiles.read(input);
        Parameters grads = Parameters.zeros(net.config());
        LogitLoss loss = LogitLoss.crossEntropy(1f);
        String lossName = "loss";
        if (teacherLogits != null) {
            if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
            loss = LogitLoss.forwardKl(readTeacher(net, batch), temperature);
            lossName = "kd_loss";
        }
        double value = net.step(batch, net.trainingActivations(batch.batch(), batch.seq()), grads, loss);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        w.add(new Tensor(lossName, new int[]{1}, new float[]{(float) value}), Dtype.F32);
        for (Tensor g : grads.tensors()) w.add(g, Dtype.F32);
        w.write(out);
        System.err.printf("%s %.6f -> %s%n", lossName, value, out);
        return 0;
    }

    private float[] readTeacher(Nemotron net, Batch batch) throws java.io.IOException {
        try (SafetensorsFile f = SafetensorsFile.open(teacherLogits)) {
            if (!f.contains("teacher_logits")) throw new ModelFormatException(teacherLogits + ": no tensor teacher_logits");
            Tensor t = f.readFloats("teacher_logits");
            int[] want = {batch.batch(), batch.seq(), net.config().vocabSize()};
            if (!Arrays.equals(t.shape(), want))
                throw new ModelFormatException(teacherLogits + ": teacher_logits has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(want) + " (the input's [B,T] and the model's vocab)");
            return t.data();
        }
    }
}
