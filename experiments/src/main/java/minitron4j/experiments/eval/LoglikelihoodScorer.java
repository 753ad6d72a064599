package minitron4j.experiments.eval;

import minitron4j.kernels.CrossEntropy;
import minitron4j.model.Batch;
import minitron4j.model.backend.Backend;
import minitron4j.model.Sampler;
import minitron4j.model.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;

/**
 * log P(continuation | context) summed over the continuation's tokens, for many requests at once, as
 * lm-evaluation-harness computes its {@code loglikelihood} requests:
 * <ul>
 *   <li>text pairs are tokenized by {@link #encode}: trailing whitespace of the context moves to the
 *   continuation, the pair is encoded whole, and the continuation is what follows the context's own
 *   token count;</li>
 *   <li>the model reads context + continuation without its last token; when that exceeds
 *   {@code maxLength} positions the window is cut from the left (the continuation always stays);</li>
 *   <li>requests are sorted by length and run as right-padded batches ({@link Batch} lengths), so
 *   padding is small and no request sees another's tokens.</li>
 * </ul>
 * Besides the sum, each {@link Score} says whether every continuation token was the argmax of its
 * position (lm-eval's {@code is_greedy}: greedy decoding would have produced the continuation).
 */
public final class LoglikelihoodScorer {
    /** Logits of one batch are [B*T, V] floats; batches are cut so that they stay below this many. */
    private static final long MAX_LOGIT_FLOATS = 64L << 20;

    /** Token ids of one request; context is non-empty (it holds at least the document-start token). */
    public record Request(int[] context, int[] continuation) {
        public Request {
            if (context.length == 0) throw new IllegalArgumentException("empty context: give at least a start token");
            if (continuation.length == 0) throw new IllegalArgumentException("empty continuation: nothing to score");
        }
    }

    /** Sum of the continuation's token log-probabilities (nats), whether all were greedy, and their count. */
    public record Score(double logLikelihood, boolean greedy, int tokens) {
    }

    private final Backend.Session session;
    private final int batchRows;
    private final int maxLength;

    /** A scorer over windows of up to the model's max_position_embeddings, batchRows requests per forward pass. */
    public LoglikelihoodScorer(Backend.Session session, int batchRows) {
        this(session, batchRows, session.config().maxPositionEmbeddings());
    }

    /** The forward passes run on session (any backend's), batchRows requests each, windows of up to maxLength. */
    public LoglikelihoodScorer(Backend.Session session, int batchRows, int maxLength) {
        if (batchRows < 1) throw new IllegalArgumentException("batch rows must be >= 1, got " + batchRows);
        if (maxLength < 1 || maxLength > session.config().maxPositionEmbeddings())
            throw new IllegalArgumentException("max length " + maxLength + " outside [1, max_position_embeddings = "
                    + session.config().maxPositionEmbeddings() + "]");
        this.session = session;
        this.batchRows = batchRows;
        this.maxLength = maxLength;
    }

    /**
     * The token a text starts with, as the model saw documents start in training: BOS where the
     * tokenizer's post-processor puts one in front (HF models), else EOS (this project's data folders
     * separate documents by EOS), else none. lm-eval prepends the same token only to empty contexts;
     * always prepending it gives the first context token a prediction to condition on and makes
     * scores independent of where a document would have started.
     */
    public static OptionalInt documentStart(Tokenizer tokenizer) {
        int[] withSpecial = tokenizer.encode("a"), plain = tokenizer.encodeNoSpecial("a");
        if (tokenizer.bosId().isPresent() && withSpecial.length > plain.length && withSpecial[0] == tokenizer.bosId().getAsInt())
            return tokenizer.bosId();
        return tokenizer.eosId();
    }

    /** Token ids of a context/continuation text pair, split the lm-eval way (see the class comment). */
    public static Request encode(Tokenizer tokenizer, String context, String continuation) {
        if (continuation.isEmpty()) throw new IllegalArgumentException("empty continuation after context \"" + context + "\"");
        int keep = context.stripTrailing().length();
        String ctx = context.substring(0, keep);
        String cont = context.substring(keep) + continuation;
        int[] contextIds = tokenizer.encodeNoSpecial(ctx);
        int[] whole = tokenizer.encodeNoSpecial(ctx + cont);
        int[] continuationIds = whole.length > contextIds.length
                ? Arrays.copyOfRange(whole, contextIds.length, whole.length)
                // The pair merged into fewer tokens than the context alone: score the continuation's own tokens.
                : tokenizer.encodeNoSpecial(cont);
        return new Request(withDocumentStart(tokenizer, contextIds), continuationIds);
    }

    /** ids behind the {@link #documentStart} token (ids themselves when the tokenizer has none). */
    static int[] withDocumentStart(Tokenizer tokenizer, int[] ids) {
        OptionalInt start = documentStart(tokenizer);
        if (start.isEmpty()) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = start.getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Scores every request; results are in the order of the requests. */
    public List<Score> score(List<Request> requests) {
        int vocab = session.config().vocabSize();
        Window[] windows = new Window[requests.size()];
        for (int i = 0; i < windows.length; i++) windows[i] = window(requests.get(i), i, vocab);
        Integer[] order = new Integer[windows.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // Longest first, ties by position: batches of similar lengths, and the same batches every run.
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -windows[i].input.length).thenComparingInt(i -> i));

        Score[] scores = new Score[windows.length];
        for (int next = 0; next < order.length; ) {
            // Exact lengths: allocating buffers per batch costs far less than the forward over padding would.
            int seq = windows[order[next]].input.length;
            int rows = (int) Math.max(1, Math.min(batchRows, MAX_LOGIT_FLOATS / ((long) seq * vocab)));
            rows = Math.min(rows, order.length - next);
            int[] ids = new int[rows * seq], lengths = new int[rows];
            for (int r = 0; r < rows; r++) {
                int[] input = windows[order[next + r]].input;
                System.arraycopy(input, 0, ids, r * seq, input.length);
                lengths[r] = input.length;
            }
            float[] logits = session.forward(new Batch(ids, rows, seq, lengths));
            for (int r = 0; r < rows; r++) {
                Window w = windows[order[next + r]];
                scores[w.index] = w.score(logits, (long) r * seq, vocab);
            }
            next += rows;
        }
        return List.of(scores);
    }

    /** The model's input for one request and where its continuation's targets sit in it. */
    private record Window(int index, int[] input, int[] targets, int firstTargetPosition) {
        /** Sum of log-softmax at the targets and whether each target was the row's argmax; rowBase = r*T. */
        Score score(float[] logits, long rowBase, int vocab) {
            double sum = 0;
            boolean greedy = true;
            for (int j = 0; j < targets.length; j++) {
                int off = Math.toIntExact((rowBase + firstTargetPosition + j) * vocab);
                sum += logits[off + targets[j]] - CrossEntropy.logSumExp(logits, off, vocab);
                greedy &= Sampler.argmax(logits, off, vocab) == targets[j];
            }
            return new Score(sum, greedy, targets.length);
        }
    }

    private Window window(Request r, int index, int vocab) {
        int[] cont = r.continuation();
        if (cont.length > maxLength)
            throw new IllegalArgumentException("request " + index + ": continuation of " + cont.length
                    + " tokens does not fit a window of " + maxLength + " positions");
        for (int id : cont) checkId(id, vocab, index);
        for (int id : r.context()) checkId(id, vocab, index);
        int total = r.context().length + cont.length;
        // The last token is only a target; of the rest keep the newest maxLength (cut from the left).
        int inputLength = Math.min(total - 1, maxLength);
        int from = total - 1 - inputLength;
        int[] input = new int[inputLength];
        for (int i = 0; i < inputLength; i++) {
            int k = from + i;
            input[i] = k < r.context().length ? r.context()[k] : cont[k - r.context().length];
        }
        // Target j (cont[j], at sequence position ctx+j) is predicted at input position ctx+j-1-from.
        return new Window(index, input, cont, r.context().length - 1 - from);
    }

    private static void checkId(int id, int vocab, int request) {
        if (id < 0 || id >= vocab)
            throw new IllegalArgumentException("request " + request + ": token id " + id + " outside the model's vocabulary [0, " + vocab + ")");
    }
}
