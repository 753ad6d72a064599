package minitron4j.model.loss;

import minitron4j.kernels.Gemm;
import minitron4j.model.Activations;
import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Tensor;
import minitron4j.model.TrainableTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The intermediate-state loss: for each {@link LayerPair}, 1 - cos(W s, t) per real position
 * between the student's post-norm hidden state s [Hs] (through a learned projection W [Ht, Hs]
 * when the widths differ, else as is) and the teacher's t [Ht]; mean over positions, then mean
 * over pairs. The distillation objective weights it by alpha = L_logits / L_is, so whether pairs
 * are summed or averaged changes nothing in training; the mean keeps {@code is_loss} in [0, 2].
 *
 * <p>The projections are {@link TrainableTensor}s named {@code distillation.projection.P.weight}
 * (P = the pair's position in the list), initialised N(0, 1/Hs) from the seed; the training loop
 * updates and checkpoints them with the student.
 */
public final class IntermediateStateLoss {
    public static final String PROJECTION_PREFIX = "distillation.projection.";

    private final List<LayerPair> pairs;
    private final FrozenTeacher teacher;
    private final int studentLayers, hs, ht, n;
    private final TrainableTensor[] projection; // per pair, null when widths agree
    private final float[][] student;            // per pair [N, Hs]: the student's hidden state
    private final float[][] projected;          // per pair [N, Ht]: W s (null without projection)
    private final float[][] dz;                 // per pair [N, Ht]: d L_is / d (W s), then scaled
    private final float[][] dh;                 // per pair [N, Hs]: d (scaled L_is) / d s
    private final List<TrainableTensor> trainable = new ArrayList<>();

    /**
     * @param teacher must keep the teacher index of every pair ({@link FrozenTeacher} constructor)
     */
    public IntermediateStateLoss(NemotronConfig studentConfig, FrozenTeacher teacher, List<LayerPair> pairs,
                                 int batch, int seqLen, long seed) {
        if (pairs.isEmpty()) throw new IllegalArgumentException("intermediate-state loss without layer pairs");
        this.pairs = List.copyOf(pairs);
        this.teacher = teacher;
        this.studentLayers = studentConfig.numHiddenLayers();
        this.hs = studentConfig.hiddenSize();
        this.ht = teacher.config().hiddenSize();
        this.n = batch * seqLen;
        int count = pairs.size();
        projection = new TrainableTensor[count];
        student = new float[count][];
        projected = new float[count][];
        dz = new float[count][];
        dh = new float[count][];
        Tensor[] initial = initialProjections(studentConfig, teacher.config(), pairs, seed);
        for (int p = 0; p < count; p++) {
            teacher.hiddenState(pairs.get(p).teacher()); // fails now, naming the index, if the teacher does not keep it
            student[p] = new float[n * hs];
            dz[p] = new float[n * ht];
            dh[p] = new float[n * hs];
            if (initial[p] != null) {
                projection[p] = TrainableTensor.of(initial[p]);
                trainable.add(projection[p]);
                projected[p] = new float[n * ht];
            }
        }
    }

    /**
     * Checks every pair against both models' layer counts and returns each pair's learned
     * projection at its initial values: N(0, 1/Hs) from the seed, [Ht, Hs], named
     * {@code distillation.projection.P.weight}; null for a pair whose widths agree. Every backend
     * starts from these values.
     */
    public static Tensor[] initialProjections(NemotronConfig student, NemotronConfig teacher, List<LayerPair> pairs, long seed) {
        int hs = student.hiddenSize(), ht = teacher.hiddenSize();
        Tensor[] initial = new Tensor[pairs.size()];
        Random random = new Random(seed);
        for (int p = 0; p < pairs.size(); p++) {
            pairs.get(p).check(student.numHiddenLayers(), teacher.numHiddenLayers());
            if (hs == ht) continue;
            Tensor w = Tensor.zeros(PROJECTION_PREFIX + p + ".weight", ht, hs);
            double std = 1 / Math.sqrt(hs);
            for (int i = 0; i < w.size(); i++) w.data()[i] = (float) (random.nextGaussian() * std);
            initial[p] = w;
        }
        return initial;
    }

    /** The teacher indices a {@link FrozenTeacher} must keep for these pairs. */
    public static List<Integer> teacherIndices(List<LayerPair> pairs) {
        return pairs.stream().map(LayerPair::teacher).distinct().toList();
    }

    /** The learned projections (empty when every pair has equal widths). */
    public List<TrainableTensor> projections() {
        return List.copyOf(trainable);
    }

    /** Watches the student's forward pass and copies the input_layernorm outputs the pairs read. */
    public ForwardObserver studentObserver() {
        return new ForwardObserver() {
            @Override
            public void normOutput(int layer, int which, float[] out, Batch batch) {
                if (which != 0) return;
                for (int p = 0; p < pairs.size(); p++)
                    if (pairs.get(p).student() == layer) System.arraycopy(out, 0, student[p], 0, student[p].length);
            }
        };
    }

    /**
     * L_is of the batch just run forward through the student (observed by {@link #studentObserver})
     * and through the teacher; leaves d L_is / d (projected student state) for {@link #gradient}.
     */
    public double loss(Batch batch, Activations studentActs) {
        boolean[] valid = batch.realMask();
        int real = DistillationLoss.count(valid);
        double total = 0;
        for (int p = 0; p < pairs.size(); p++) {
            LayerPair pair = pairs.get(p);
            if (pair.student() == studentLayers)
                System.arraycopy(studentActs.finalNormOutput(), 0, student[p], 0, student[p].length);
            float[] z = student[p];
            if (projection[p] != null) {
                Gemm.linear(projected[p], student[p], projection[p].value().data(), n, hs, ht);
                z = projected[p];
            }
            float[] t = teacher.hiddenState(pair.teacher());
            double sum = 0;
            for (int i = 0; i < n; i++) {
                int off = i * ht;
                if (!valid[i]) {
                    java.util.Arrays.fill(dz[p], off, off + ht, 0f);
                    continue;
                }
                double dot = 0, zz = 0, tt = 0;
                for (int j = 0; j < ht; j++) {
                    double a = z[off + j], b = t[off + j];
                    dot += a * b;
                    zz += a * a;
                    tt += b * b;
                }
                // A zero vector has no direction: cosine 0, no gradient (as for the cosine logit loss).
                boolean degenerate = zz == 0 || tt == 0;
                double norms = Math.sqrt(zz * tt), cos = degenerate ? 0 : dot / norms;
                sum += 1 - cos;
                double scale = 1.0 / ((double) real * pairs.size());
                for (int j = 0; j < ht; j++)
                    dz[p][off + j] = degenerate ? 0f : (float) (-(t[off + j] / norms - cos * z[off + j] / zz) * scale);
            }
            total += real == 0 ? 0 : sum / real;
        }
        return total / pairs.size();
    }

    /**
     * Scales the gradient left by {@link #loss} by {@code scale} (alpha times the micro-batch
     * weight), adds the projections' share into their gradients and returns the student's share
     * for {@link Nemotron#backward(Batch, Activations, float[], minitron4j.model.Parameters, Nemotron.NormOutputGradient)}.
     */
    public Nemotron.NormOutputGradient gradient(float scale) {
        for (int p = 0; p < pairs.size(); p++) {
            float[] d = dz[p];
            for (int i = 0; i < d.length; i++) d[i] *= scale;
            if (projection[p] != null) {
                java.util.Arrays.fill(dh[p], 0f);
                Gemm.linearBackward(dh[p], projection[p].gradient().data(), d, student[p],
                        projection[p].value().data(), n, hs, ht);
            } else {
                System.arraycopy(d, 0, dh[p], 0, d.length);
            }
        }
        return (index, dnorm) -> {
            for (int p = 0; p < pairs.size(); p++)
                if (pairs.get(p).student() == index) minitron4j.kernels.VectorMath.axpy(1f, dh[p], 0, dnorm, 0, dh[p].length);
        };
    }
}
