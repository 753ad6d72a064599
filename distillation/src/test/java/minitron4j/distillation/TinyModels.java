package minitron4j.distillation;

import minitron4j.model.AdamWSettings;
import minitron4j.model.backend.Backend;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.backend.Loss;
import minitron4j.model.Batch;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import minitron4j.model.io.Checkpoint;
import minitron4j.model.io.Dtype;
import minitron4j.pruning.Calibration;
import minitron4j.pruning.ImportanceOptions;
import minitron4j.pruning.ImportanceScores;
import minitron4j.pruning.Pruning;
import minitron4j.pruning.PruningOptions;
import minitron4j.pruning.PruningPlan;
import minitron4j.pruning.PruningTarget;
import minitron4j.pruning.Trimmer;
import minitron4j.training.LrSchedule;
import minitron4j.training.TinyData;
import minitron4j.training.TokenData;
import minitron4j.training.WindowSampler;

import java.io.IOException;
import java.nio.file.Path;

/** Tiny teachers and students on the training module's Markov-chain data (TinyData). */
final class TinyModels {
    static final int BATCH = 4, SEQ = 16;

    private TinyModels() {}

    /** 3 layers, hidden 16, GQA 2 heads over 1 KV head, head_dim 8. */
    static NemotronConfig teacherConfig() {
        NemotronConfig c = NemotronConfig.of(TinyData.VOCAB, 16, 32, 3, 2, 1, 8, false);
        return new NemotronConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.partialRotaryFactor(), c.ropeTheta(),
                c.normEps(), 64, false, 2, 3, 0, 0.05, null, null);
    }

    /** A teacher trained with plain cross-entropy for a few steps (in memory, no run folder). */
    static Parameters trainedTeacher(Path data, int steps) throws IOException {
        Parameters p = Parameters.initialize(teacherConfig(), 5);
        LrSchedule lr = LrSchedule.warmupCosine(1e-2, 1e-3, 3, steps);
        try (TokenData d = TokenData.open(data);
             Backend.Session session = new CpuBackend().open(p);
             Backend.Training training = session.training(Loss.crossEntropy(), BATCH, SEQ, AdamWSettings.of(0.9, 0.95, 1e-8, 0.0))) {
            WindowSampler sampler = new WindowSampler(d.train(), SEQ, 3);
            int[] ids = new int[BATCH * SEQ];
            for (int s = 0; s < steps; s++) {
                sampler.next(ids, BATCH);
                training.zeroGradients();
                training.accumulate(Batch.of(ids, BATCH, SEQ), 1f);
                training.update(training.gradientNorm(), 1.0, lr.lr(s), s + 1);
            }
        }
        return p;
    }

    /** Width- and depth-pruned by the teacher's importance on calibration windows of the data (the pruning module). */
    static Parameters pruned(Parameters teacher, Path data, PruningTarget target) throws IOException {
        ImportanceScores scores = Pruning.importance(new CpuBackend(), teacher, Calibration.windows(data, 16, SEQ, BATCH, 0),
                ImportanceOptions.defaults());
        return Trimmer.apply(teacher, PruningPlan.of(teacher.config(), scores, target, PruningOptions.defaults()));
    }

    static Path save(Parameters p, Path dir) throws IOException {
        Checkpoint.save(dir, p.config(), p, Dtype.F32);
        return dir;
    }
}
