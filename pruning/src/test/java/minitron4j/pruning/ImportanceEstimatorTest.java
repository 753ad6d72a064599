package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.backend.CpuBackend;
import minitron4j.model.ForwardObserver;
import minitron4j.model.Nemotron;
import minitron4j.model.NemotronConfig;
import minitron4j.model.Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimator's scores against the definitions of INTERFACES.md evaluated by hand, in plain
 * two-pass formulas, on activations recorded from the same forward passes (whose placement the
 * second test checks against the weights directly).
 */
class ImportanceEstimatorTest {

    /** Copies of every hook's arrays, per batch, keyed by "site layer". */
    static final class Recorder implements ForwardObserver {
        final Map<String, List<float[]>> seen = new HashMap<>();

        void put(String key, float[] a) {
            seen.computeIfAbsent(key, k -> new ArrayList<>()).add(a.clone());
        }

        @Override public void normOutput(int l, int which, float[] out, Batch b) { put("norm" + which + " " + l, out); }
        @Override public void attentionOutput(int l, float[] att, Batch b) { put("att " + l, att); }
        @Override public void mlpPreActivation(int l, float[] up, Batch b) { put("pre " + l, up); }
        @Override public void mlpPostActivation(int l, float[] act, Batch b) { put("post " + l, act); }
        @Override public void layerOutput(int l, float[] in, float[] out, Batch b) { put("in " + l, in); put("out " + l, out); }
    }

    static Stream<Arguments> options() {
        List<Arguments> a = new ArrayList<>();
        for (Aggregation seq : Aggregation.values())
            for (Aggregation batch : Aggregation.values())
                a.add(Arguments.of(seq, batch, NeuronActivation.PRE, HeadStatistic.PER_TOKEN));
        a.add(Arguments.of(Aggregation.MEAN, Aggregation.L2, NeuronActivation.POST, HeadStatistic.PER_CHANNEL));
        a.add(Arguments.of(Aggregation.VAR, Aggregation.MEAN, NeuronActivation.POST, HeadStatistic.PER_CHANNEL));
        return a.stream();
    }

    @ParameterizedTest
    @MethodSource("options")
    void scoresEqualTheDefinitionsComputedByHand(Aggregation seq, Aggregation batchAgg, NeuronActivation neuron,
                                                 HeadStatistic head) {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 11);
        List<Batch> batches = TinyModels.batches(5);
        ImportanceOptions opt = ImportanceOptions.defaults().withAggregations(seq, batchAgg).withNeuron(neuron).withHead(head);
        ImportanceScores s = Pruning.importance(new CpuBackend(), p, batches, opt);

        Recorder rec = record(p, batches);
        int layers = c.numHiddenLayers(), h = c.hiddenSize(), f = c.intermediateSize(), nh = c.numAttentionHeads(), hd = c.headDim();
        double[] embedding = new double[h];
        for (int l = 0; l < layers; l++) {
            for (int which = 0; which < 2; which++) {
                double[] norm = channelScores(rec.seen.get("norm" + which + " " + l), batches, h, seq, batchAgg);
                for (int ch = 0; ch < h; ch++) embedding[ch] += norm[ch];
            }
            double[] neurons = channelScores(rec.seen.get((neuron == NeuronActivation.PRE ? "pre " : "post ") + l), batches, f, seq, batchAgg);
            assertClose(neurons, s.neurons()[l], "neurons of layer " + l);

            double[] heads = new double[nh];
            if (head == HeadStatistic.PER_TOKEN) {
                List<float[]> norms = new ArrayList<>();
                for (float[] att : rec.seen.get("att " + l)) {
                    float[] per = new float[att.length / hd];
                    for (int i = 0; i < per.length; i++) {
                        double sq = 0;
                        for (int d = 0; d < hd; d++) sq += (double) att[i * hd + d] * att[i * hd + d];
                        per[i] = (float) Math.sqrt(sq);
                    }
                    norms.add(per);
                }
                heads = channelScores(norms, batches, nh, seq, batchAgg);
                assertClose(heads, s.heads()[l], 1e-6, "heads of layer " + l); // the hand path rounds norms to float
            } else {
                double[] channels = channelScores(rec.seen.get("att " + l), batches, nh * hd, seq, batchAgg);
                for (int k = 0; k < nh; k++) {
                    double sq = 0;
                    for (int d = 0; d < hd; d++) sq += channels[k * hd + d] * channels[k * hd + d];
                    heads[k] = Math.sqrt(sq);
                }
                assertClose(heads, s.heads()[l], "heads of layer " + l);
            }

            double sum = 0;
            int count = 0;
            for (int bi = 0; bi < batches.size(); bi++) {
                Batch b = batches.get(bi);
                float[] in = rec.seen.get("in " + l).get(bi), out = rec.seen.get("out " + l).get(bi);
                for (int r = 0; r < b.batch(); r++)
                    for (int t = 0; t < b.length(r); t++) {
                        double dot = 0, ni = 0, no = 0;
                        for (int ch = 0; ch < h; ch++) {
                            int i = (r * b.seq() + t) * h + ch;
                            dot += (double) in[i] * out[i];
                            ni += (double) in[i] * in[i];
                            no += (double) out[i] * out[i];
                        }
                        sum += 1 - dot / Math.sqrt(ni * no);
                        count++;
                    }
            }
            assertEquals(sum / count, s.layers()[l], 1e-12, "block importance of layer " + l);
        }
        assertClose(embedding, s.embedding(), "embedding");
        assertEquals(5, s.samples());
        assertEquals(7, s.seqLen());
    }

    /** Per channel: aggregate each real sample's positions with seq, then the samples with batch. */
    static double[] channelScores(List<float[]> perBatch, List<Batch> batches, int channels, Aggregation seq, Aggregation batch) {
        List<double[]> sampleValues = new ArrayList<>();
        for (int bi = 0; bi < batches.size(); bi++) {
            Batch b = batches.get(bi);
            float[] a = perBatch.get(bi);
            for (int r = 0; r < b.batch(); r++) {
                if (b.length(r) == 0) continue;
                double[] v = new double[channels];
                for (int ch = 0; ch < channels; ch++) {
                    double[] series = new double[b.length(r)];
                    for (int t = 0; t < series.length; t++) series[t] = a[(r * b.seq() + t) * channels + ch];
                    v[ch] = aggregate(series, seq);
                }
                sampleValues.add(v);
            }
        }
        double[] out = new double[channels];
        for (int ch = 0; ch < channels; ch++) {
            double[] series = new double[sampleValues.size()];
            for (int i = 0; i < series.length; i++) series[i] = sampleValues.get(i)[ch];
            out[ch] = aggregate(series, batch);
        }
        return out;
    }

    static double aggregate(double[] a, Aggregation agg) {
        double s = 0;
        switch (agg) {
            case MEAN -> {
                for (double x : a) s += Math.abs(x);
                return s / a.length;
            }
            case L2 -> {
                for (double x : a) s += x * x;
                return Math.sqrt(s);
            }
            default -> {
                double mean = 0;
                for (double x : a) mean += x;
                mean /= a.length;
                for (double x : a) s += (x - mean) * (x - mean);
                return s / a.length;
            }
        }
    }

    static Recorder record(Parameters p, List<Batch> batches) {
        Nemotron model = new Nemotron(p);
        Recorder rec = new Recorder();
        for (Batch b : batches) model.forward(b, model.inferenceActivations(b.batch(), b.seq()), rec);
        return rec;
    }

    static void assertClose(double[] expected, double[] actual, String what) {
        assertClose(expected, actual, 1e-10, what);
    }

    static void assertClose(double[] expected, double[] actual, double relative, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], relative * scale + 1e-300, what + "[" + i + "]");
    }

    @Test
    void observedActivationsAreTheOnesTheDefinitionsName() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 3);
        Batch b = TinyModels.batches(1).get(0);
        Recorder rec = record(p, List.of(b));
        int h = c.hiddenSize(), f = c.intermediateSize(), n = b.tokens();
        // layer 0's input is the embedding row; its input_layernorm output is LayerNorm1P of it
        float[] in = rec.seen.get("in 0").get(0), ln1 = rec.seen.get("norm0 0").get(0);
        Parameters.Layer w = p.layer(0);
        for (int i = 0; i < n; i++) {
            double mean = 0, var = 0;
            for (int ch = 0; ch < h; ch++) {
                assertEquals(p.embedding()[b.ids()[i] * h + ch], in[i * h + ch], 0f);
                mean += in[i * h + ch];
            }
            mean /= h;
            for (int ch = 0; ch < h; ch++) var += (in[i * h + ch] - mean) * (in[i * h + ch] - mean);
            double rstd = 1 / Math.sqrt(var / h + c.normEps());
            for (int ch = 0; ch < h; ch++)
                assertEquals((in[i * h + ch] - mean) * rstd * (1 + w.inNormW()[ch]) + w.inNormB()[ch], ln1[i * h + ch], 1e-4);
        }
        // pre-activation = post_attention_layernorm output x W_up^T; post = relu(pre)^2
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            float[] ln2 = rec.seen.get("norm1 " + l).get(0), pre = rec.seen.get("pre " + l).get(0), post = rec.seen.get("post " + l).get(0);
            float[] up = p.layer(l).up();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < f; j++) {
                    double s = 0;
                    for (int ch = 0; ch < h; ch++) s += (double) ln2[i * h + ch] * up[j * h + ch];
                    assertEquals(s, pre[i * f + j], 1e-4 * (1 + Math.abs(s)));
                    double relu = Math.max(0, pre[i * f + j]);
                    assertEquals(relu * relu, post[i * f + j], 1e-5 * (1 + relu * relu));
                }
            // the residual stream chains: layer l's output is layer l+1's input
            if (l + 1 < c.numHiddenLayers())
                assertArrayEquals(rec.seen.get("out " + l).get(0), rec.seen.get("in " + (l + 1)).get(0));
        }
    }

    @Test
    void paddingTakesNoPart() {
        NemotronConfig c = TinyModels.gqa();
        Parameters p = TinyModels.parameters(c, 4);
        Batch padded = TinyModels.batches(2).get(0);                     // lengths {7, 4}
        int[] ids = padded.ids().clone();
        for (int t = 4; t < 7; t++) ids[7 + t] = (ids[7 + t] + 13) % TinyModels.VOCAB; // other tokens in the padding
        Batch otherPadding = new Batch(ids, 2, 7, new int[]{7, 4});
        ImportanceScores a = Pruning.importance(new CpuBackend(), p, List.of(padded), ImportanceOptions.defaults());
        ImportanceScores b = Pruning.importance(new CpuBackend(), p, List.of(otherPadding), ImportanceOptions.defaults());
        assertArrayEquals(a.embedding(), b.embedding());
        assertArrayEquals(a.neurons()[2], b.neurons()[2]);
        assertArrayEquals(a.heads()[1], b.heads()[1]);
        assertArrayEquals(a.layers(), b.layers());
    }

    @Test
    void plantedDeadUnitsScoreZeroAndRankLast() {
        NemotronConfig c = TinyModels.mha();
        Parameters p = TinyModels.parameters(c, 9);
        int deadChannel = 5, deadHead = 2, deadLayer = 1, hd = c.headDim(), h = c.hiddenSize();
        int[] deadNeurons = {3, 11};
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            Parameters.Layer w = p.layer(l);
            for (float[] normW : new float[][]{w.inNormW(), w.postNormW()}) normW[deadChannel] = -1; // scale 1 + w = 0
            w.inNormB()[deadChannel] = 0;
            w.postNormB()[deadChannel] = 0;
            Arrays.fill(w.v(), deadHead * hd * h, (deadHead + 1) * hd * h, 0f);       // its output is 0
            for (int j : deadNeurons) Arrays.fill(w.up(), j * h, (j + 1) * h, 0f);
        }
        Parameters.Layer identity = p.layer(deadLayer);                                         // adds nothing to the stream
        Arrays.fill(identity.o(), 0f);
        Arrays.fill(identity.down(), 0f);

        ImportanceScores s = Pruning.importance(new CpuBackend(), p, TinyModels.batches(8),
                ImportanceOptions.defaults().withDepthLoss(true));
        assertEquals(0, s.embedding()[deadChannel]);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            assertEquals(0, s.heads()[l][deadHead]);
            for (int j : deadNeurons) assertEquals(0, s.neurons()[l][j]);
        }
        assertEquals(0, s.layers()[deadLayer], 1e-12);
        assertEquals(0, s.layersLoss()[deadLayer]);

        PruningPlan plan = PruningPlan.of(c, s, new PruningTarget(h - 1, c.numAttentionHeads() - 1,
                c.intermediateSize() - deadNeurons.length, c.numHiddenLayers() - 1, null, null), PruningOptions.defaults());
        assertTrue(Arrays.stream(plan.embedding()).noneMatch(x -> x == deadChannel));
        assertTrue(Arrays.stream(plan.layers()).noneMatch(x -> x == deadLayer));
        for (int i = 0; i < plan.layers().length; i++) {
            assertTrue(Arrays.stream(plan.heads()[i]).noneMatch(x -> x == deadHead));
            for (int j : deadNeurons) assertTrue(Arrays.stream(plan.neurons()[i]).noneMatch(x -> x == j));
        }
        // Skipping a layer of a random model may even lower the loss, so the loss ranking drops its own minimum.
        int leastLoss = 0;
        for (int l = 1; l < c.numHiddenLayers(); l++) if (s.layersLoss()[l] < s.layersLoss()[leastLoss]) leastLoss = l;
        int dropped = leastLoss;
        PruningPlan byLoss = PruningPlan.of(c, s, PruningTarget.keepAll().withNumLayers(c.numHiddenLayers() - 1),
                PruningOptions.defaults().withDepthScore(PruningOptions.DepthScore.LOSS));
        assertTrue(Arrays.stream(byLoss.layers()).noneMatch(x -> x == dropped));
    }
}
