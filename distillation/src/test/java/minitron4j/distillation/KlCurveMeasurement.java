package minitron4j.distillation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.Parameters;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.Pruning;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.pruning.Trimmer;
import minitron4j.training.Corpora;
import minitron4j.training.DataBuilder;
import minitron4j.training.JsonlLog;
import minitron4j.training.RunFolder;
import minitron4j.training.TrainOptions;
import minitron4j.training.TrainSpec;
import minitron4j.training.Trainer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A measurement, not a test: trains a small teacher on the State of the Union corpus,
 * prunes it by importance to about half its width, distils the student and prints the validation
 * rows (val_kd_loss, val_ce_loss) over the steps. Every stage is kept in OUT and skipped when done.
 * Arguments: OUT TEACHER_STEPS DISTILL_STEPS THREADS TOKENIZER (a tokenizer.json, e.g. the shared
 * fixtures' hf-tokenizers/bytelevel one with 2048 tokens).
 */
public final class KlCurveMeasurement {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int teacherSteps = Integer.parseInt(args[1]), distillSteps = Integer.parseInt(args[2]), threads = Integer.parseInt(args[3]);
        int batch = 8, seq = 128;
        Path data = out.resolve("data");
        if (!Files.exists(data.resolve("data.json"))) DataBuilder.build(List.of(Corpora.sotu()), args[4], 0.05, 0, data);

        Path teacherRun = out.resolve("teacher");
        Path teacher = new RunFolder(teacherRun).checkpoint(teacherSteps);
        if (!Files.isDirectory(teacher)) {
            ObjectNode spec = new ObjectMapper().createObjectNode();
            ObjectNode m = spec.putObject("model");
            m.put("hidden_size", 128);
            m.put("intermediate_size", 512);
            m.put("num_hidden_layers", 4);
            m.put("num_attention_heads", 4);
            m.put("num_key_value_heads", 2);
            m.put("head_dim", 32);
            m.put("max_position_embeddings", seq);
            m.put("tie_word_embeddings", true);
            spec.put("data", data.toString());
            spec.put("steps", teacherSteps);
            spec.put("batch", batch);
            spec.put("seq_len", seq);
            spec.put("lr", 2e-3);
            spec.put("warmup", teacherSteps / 20);
            spec.put("eval_interval", teacherSteps / 5);
            spec.put("eval_batches", 8);
            spec.put("checkpoint_interval", 0);
            spec.put("threads", threads);
            Trainer.run(TrainSpec.fromJson(spec), teacherRun, false, TrainOptions.defaults().withProgressBar(false));
        }

        Path student = out.resolve("student");
        Parameters teacherParams = Checkpoint.load(teacher).params();
        if (!Files.isDirectory(student)) {
            ImportanceScores scores = Pruning.importance(new CpuBackend(), teacher, data, 64, seq, batch, ImportanceOptions.defaults());
            PruningTarget target = PruningTarget.keepAll().withHiddenSize(96).withNumAttentionHeads(2).withIntermediateSize(256);
            Parameters pruned = Trimmer.apply(teacherParams, PruningPlan.of(teacherParams.config(), scores, target, PruningOptions.defaults()));
            Checkpoint.save(student, pruned.config(), pruned, Dtype.F32);
        }
        Map<String, Object> teacherVal = JsonlLog.read(teacherRun.resolve(RunFolder.LOG)).stream()
                .filter(r -> r.containsKey("val_ce_loss")).toList().getLast();
        System.out.printf("teacher %,d parameters (val_ce_loss %.4f after %d steps), student %,d%n", teacherParams.count(),
                ((Number) teacherVal.get("val_ce_loss")).doubleValue(), teacherSteps, Checkpoint.load(student).params().count());

        Path run = out.resolve("distill");
        DistillOptions options = DistillOptions.defaults(distillSteps).withShape(batch, seq).withThreads(threads)
                .withIntervals(Math.max(1, distillSteps / 10), 8, 0).withProgressBar(false);
        Distiller.distill(teacher, student, data, options, run, Files.exists(run.resolve(RunFolder.LATEST)), row -> {});
        System.out.println("step  val_kd_loss  val_ce_loss  val_ppl");
        for (Map<String, Object> r : JsonlLog.read(run.resolve(RunFolder.LOG)))
            if (r.containsKey(Distiller.VAL_KD_LOSS))
                System.out.printf("%4s  %11.4f  %11.4f  %7.3f%n", r.get("step"), r.get(Distiller.VAL_KD_LOSS), r.get("val_ce_loss"), r.get("val_ppl"));
    }
}
