package minitron4j.experiments.cli;

import minitron4j.model.Batch;
import minitron4j.model.io.BatchFiles;
import minitron4j.model.ModelFormatException;
import minitron4j.model.Parameters;
import minitron4j.model.Tensor;
import minitron4j.model.backend.Backend;
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
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        Parameters params = Checkpoint.load(model).params();
        Batch batch = BatchFiles.read(input);
        Parameters grads = Parameters.zeros(params.config());
        float[] teacher = null;
        String lossName = "loss";
        if (teacherLogits != null) {
            if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
            teacher = readTeacher(params.config().vocabSize(), batch);
            lossName = "kd_loss";
        }
        double value;
        try (Backend.Session session = backend.backend().open(params)) {
            value = teacher == null ? session.crossEntropyGradients(batch, grads)
                    : session.klGradients(batch, teacher, temperature, grads);
        }
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        w.add(new Tensor(lossName, new int[]{1}, new float[]{(float) value}), Dtype.F32);
        for (Tensor g : grads.tensors()) w.add(g, Dtype.F32);
        w.write(out);
        System.err.printf("%s %.6f -> %s%n", lossName, value, out);
        return 0;
    }

    private float[] readTeacher(int vocab, Batch batch) throws java.io.IOException {
        try (SafetensorsFile f = SafetensorsFile.open(teacherLogits)) {
            if (!f.contains("teacher_logits")) throw new ModelFormatException(teacherLogits + ": no tensor teacher_logits");
            Tensor t = f.readFloats("teacher_logits");
            int[] want = {batch.batch(), batch.seq(), vocab};
            if (!Arrays.equals(t.shape(), want))
                throw new ModelFormatException(teacherLogits + ": teacher_logits has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(want) + " (the input's [B,T] and the model's vocab)");
            return t.data();
        }
    }
}
