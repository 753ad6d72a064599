package minitron4j.pruning;

import minitron4j.model.Batch;
import minitron4j.model.ForwardObserver;
import minitron4j.model.NemotronConfig;
import minitron4j.model.backend.Backend;

/**
 * Accumulates activation-based importance over calibration batches while the ordinary forward
 * pass runs (it is the {@link ForwardObserver}), in double, with padded positions excluded:
 * <ul>
 *   <li>every LayerNorm1P output channel of every layer (both norms), summed into the embedding score;</li>
 *   <li>every attention head of every layer ({@link HeadStatistic});</li>
 *   <li>every MLP neuron of every layer ({@link NeuronActivation});</li>
 *   <li>every layer's Block Importance 1 - cos(layer input, layer output), mean over real positions.</li>
 * </ul>
 * Each per-channel statistic aggregates over the positions of a sample first, then over samples
 * ({@link ImportanceOptions#seqAgg()}, {@link ImportanceOptions#batchAgg()}). A sample with no
 * real token takes no part.
 */
public final class ImportanceEstimator implements ForwardObserver {
    private final NemotronConfig config;
    private final ImportanceOptions options;
    private final ChannelAggregate[][] norms;  // [L][2] over samples, H channels
    private final ChannelAggregate[] heads;    // [L] over samples, nh (per-token) or nh*hd (per-channel) channels
    private final ChannelAggregate[] neurons;  // [L] over samples, F channels
    private final double[] cosineDistanceSum;  // [L]
    private final long[] positions;            // [L] real positions seen by the block importance
    private final ChannelAggregate sampleH, sampleHeads, sampleF; // one sample's sequence aggregation, reused
    private int samples, maxSeqLen;

    public ImportanceEstimator(NemotronConfig config, ImportanceOptions options) {
        this.config = config;
        this.options = options;
        int layers = config.numHiddenLayers(), h = config.hiddenSize(), f = config.intermediateSize();
        int headChannels = options.head() == HeadStatistic.PER_TOKEN ? config.numAttentionHeads() : config.qDim();
        norms = new ChannelAggregate[layers][2];
        heads = new ChannelAggregate[layers];
        neurons = new ChannelAggregate[layers];
        for (int l = 0; l < layers; l++) {
            norms[l][0] = new ChannelAggregate(options.batchAgg(), h);
            norms[l][1] = new ChannelAggregate(options.batchAgg(), h);
            heads[l] = new ChannelAggregate(options.batchAgg(), headChannels);
            neurons[l] = new ChannelAggregate(options.batchAgg(), f);
        }
        cosineDistanceSum = new double[layers];
        positions = new long[layers];
        sampleH = new ChannelAggregate(options.seqAgg(), h);
        sampleHeads = new ChannelAggregate(options.seqAgg(), headChannels);
        sampleF = new ChannelAggregate(options.seqAgg(), f);
    }

    /**
     * Runs the forward pass of a session's model (whose config must be this estimator's) over one
     * calibration batch with this estimator observing it; the output head is skipped.
     */
    public void add(Backend.Session session, Batch batch) {
        checkConfig(session.config());
        session.observe(batch, this);
        counted(batch);
    }

    private void checkConfig(NemotronConfig c) {
        if (!c.equals(config)) throw new IllegalArgumentException("model config differs from the config this estimator was made for");
    }

    private void counted(Batch batch) {
        for (int b = 0; b < batch.batch(); b++) if (batch.length(b) > 0) samples++;
        maxSeqLen = Math.max(maxSeqLen, batch.seq());
    }

    @Override
    public void normOutput(int layer, int which, float[] out, Batch batch) {
        accumulate(out, config.hiddenSize(), batch, sampleH, norms[layer][which]);
    }

    @Override
    public void attentionOutput(int layer, float[] att, Batch batch) {
        if (options.head() == HeadStatistic.PER_CHANNEL) {
            accumulate(att, config.qDim(), batch, sampleHeads, heads[layer]);
            return;
        }
        int nh = config.numAttentionHeads(), hd = config.headDim(), width = config.qDim();
        for (int b = 0; b < batch.batch(); b++) {
            int len = batch.length(b);
            if (len == 0) continue;
            sampleHeads.reset();
            for (int t = 0; t < len; t++) {
                int row = (b * batch.seq() + t) * width;
                for (int head = 0; head < nh; head++) {
                    double s = 0;
                    for (int d = 0; d < hd; d++) {
                        double a = att[row + head * hd + d];
                        s += a * a;
                    }
                    sampleHeads.add(head, Math.sqrt(s));
                }
                sampleHeads.next();
            }
            addSample(sampleHeads, heads[layer]);
        }
    }

    @Override
    public void mlpPreActivation(int layer, float[] up, Batch batch) {
        if (options.neuron() == NeuronActivation.PRE)
            accumulate(up, config.intermediateSize(), batch, sampleF, neurons[layer]);
    }

    @Override
    public void mlpPostActivation(int layer, float[] act, Batch batch) {
        if (options.neuron() == NeuronActivation.POST)
            accumulate(act, config.intermediateSize(), batch, sampleF, neurons[layer]);
    }

    @Override
    public void layerOutput(int layer, float[] in, float[] out, Batch batch) {
        int h = config.hiddenSize();
        for (int b = 0; b < batch.batch(); b++)
            for (int t = 0; t < batch.length(b); t++) {
                int off = (b * batch.seq() + t) * h;
                double dot = 0, nIn = 0, nOut = 0;
                for (int c = 0; c < h; c++) {
                    double x = in[off + c], y = out[off + c];
                    dot += x * y;
                    nIn += x * x;
                    nOut += y * y;
                }
                double denominator = Math.sqrt(nIn * nOut);
                // A zero vector has no direction: equal to a zero output (cos 1), orthogonal to anything else.
                double cos = denominator > 0 ? dot / denominator : (nIn == nOut ? 1 : 0);
                cosineDistanceSum[layer] += 1 - cos;
                positions[layer]++;
            }
    }

    /** Sequence-aggregates each real sample of x [N, channels], then adds it to the batch aggregate. */
    private static void accumulate(float[] x, int channels, Batch batch, ChannelAggregate sample, ChannelAggregate total) {
        for (int b = 0; b < batch.batch(); b++) {
            int len = batch.length(b);
            if (len == 0) continue;
            sample.reset();
            for (int t = 0; t < len; t++) {
                int row = (b * batch.seq() + t) * channels;
                for (int c = 0; c < channels; c++) sample.add(c, x[row + c]);
                sample.next();
            }
            addSample(sample, total);
        }
    }

    private static void addSample(ChannelAggregate sample, ChannelAggregate total) {
        for (int c = 0; c < sample.channels(); c++) total.add(c, sample.value(c));
        total.next();
    }

    /** The scores over every batch added so far (no {@code layers_loss}: see {@link DepthImportance}). */
    public ImportanceScores scores() {
        if (samples == 0) throw new IllegalStateException("no calibration sample with a real token has been added");
        int layers = config.numHiddenLayers(), h = config.hiddenSize(), nh = config.numAttentionHeads(),
                hd = config.headDim(), f = config.intermediateSize();
        double[] embedding = new double[h];
        double[][] headScores = new double[layers][nh];
        double[][] neuronScores = new double[layers][f];
        double[] blockImportance = new double[layers];
        for (int l = 0; l < layers; l++) {
            for (ChannelAggregate norm : norms[l]) for (int c = 0; c < h; c++) embedding[c] += norm.value(c);
            for (int head = 0; head < nh; head++) {
                if (options.head() == HeadStatistic.PER_TOKEN) {
                    headScores[l][head] = heads[l].value(head);
                } else {
                    double s = 0;
                    for (int d = 0; d < hd; d++) {
                        double v = heads[l].value(head * hd + d);
                        s += v * v;
                    }
                    headScores[l][head] = Math.sqrt(s);
                }
            }
            for (int c = 0; c < f; c++) neuronScores[l][c] = neurons[l].value(c);
            blockImportance[l] = cosineDistanceSum[l] / positions[l];
        }
        return new ImportanceScores(embedding, headScores, neuronScores, blockImportance, null, options, samples, maxSeqLen);
    }
}
