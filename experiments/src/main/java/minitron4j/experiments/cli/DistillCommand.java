package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.distillation.DistillOptions;
import minitron4j.distillation.Distiller;
import minitron4j.model.loss.LayerPair;
import minitron4j.model.loss.LogitLossKind;
import minitron4j.kernels.Parallel;
import minitron4j.training.TrainingSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Knowledge distillation of a (pruned) student from a frozen teacher, with the trainer's checkpoints and resume. */
@Command(name = "distill", description = "Train a student on a frozen teacher's logits (forward KL at tau by default).")
final class DistillCommand implements Callable<Integer> {
    @Option(names = "--teacher", description = "teacher checkpoint (optional with --resume)")
    Path teacher;
    @Option(names = "--student", description = "student checkpoint, e.g. from `prune` (optional with --resume)")
    Path student;
    @Option(names = "--data", description = "data folder (optional with --resume)")
    Path data;
    @Option(names = "--steps", description = "optimizer steps")
    Integer steps;
    @Option(names = "--batch", defaultValue = "8")
    int batch;
    @Option(names = "--seq-len", defaultValue = "256")
    int seqLen;
    @Option(names = "--lr", description = "peak learning rate (default " + "1e-3" + "); cosine to lr/10 after warm-up")
    Double lr;
    @Option(names = "--warmup", description = "warm-up steps (default: 5%% of the steps, at most 60)")
    Integer warmup;
    @Option(names = "--loss", defaultValue = "forward_kl", description = "forward_kl | reverse_kl | mse | cosine | top_k")
    String loss;
    @Option(names = "--temperature", defaultValue = "1", description = "tau (KL losses; tau^2 convention)")
    double temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "k for --loss top_k")
    int topK;
    @Option(names = "--ce-weight", defaultValue = "0", description = "weight of an added next-token CE term")
    double ceWeight;
    @Option(names = "--intermediate", description = "post-norm hidden-state pairs student:teacher, e.g. 2:4,4:8")
    String intermediate;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--eval-interval", description = "validate every N steps (default steps/20)")
    Integer evalInterval;
    @Option(names = "--eval-batches", defaultValue = "16")
    int evalBatches;
    @Option(names = "--correct-teacher", description = "first fine-tune the teacher on the data for N steps at lr/5 (P2)")
    Integer correctTeacher;
    @Option(names = "--resume", description = "continue the run folder --out from its latest checkpoint")
    boolean resume;
    @Option(names = "--out", required = true)
    Path out;
    @Mixin
    ThreadsOption threads;
    @Mixin
    BackendOption backend;

    @Override
    public Integer call() throws Exception {
        DistillOptions o = null;
        if (!resume) {
            if (teacher == null || student == null || data == null || steps == null)
                throw new IllegalArgumentException("give --teacher, --student, --data and --steps (or --resume)");
            o = DistillOptions.defaults(steps).withShape(batch, seqLen).withSeed(seed)
                    .withLoss(LogitLossKind.parse(loss), temperature, topK, ceWeight)
                    .withThreads(Parallel.threads());
            double peak = lr != null ? lr : o.lr();
            o = o.withSchedule(peak, warmup != null ? warmup : o.warmup())
                    .withIntervals(evalInterval != null ? evalInterval : o.evalInterval(), evalBatches, o.checkpointInterval());
            if (intermediate != null) o = o.withIntermediatePairs(LayerPair.parse(intermediate));
            if (correctTeacher != null) {
                teacher = Distiller.correctTeacher(teacher, data, correctTeacher, Distiller.correctionLr(peak), o,
                        out.resolveSibling(out.getFileName() + "-corrected-teacher"), backend.backend());
                System.err.println("corrected teacher: " + teacher);
            }
        }
        TrainingSummary s = Distiller.distill(teacher, student, data, o, out, resume, row -> {}, backend.backend());
        ObjectNode r = JsonOutput.object();
        r.put("steps", s.steps());
        s.lastMetrics().forEach(r::put);
        s.lastValidation().forEach(r::put);
        r.put("tokens_per_s", s.tokensPerSecond());
        if (s.lastCheckpoint() != null) r.put("checkpoint", s.lastCheckpoint().toString());
        JsonOutput.print(r);
        return 0;
    }
}
