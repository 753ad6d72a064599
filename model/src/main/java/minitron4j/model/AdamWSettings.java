package minitron4j.model;

import minitron4j.kernels.AdamW;

import java.util.function.Predicate;

/**
 * AdamW's hyperparameters (torch.optim.AdamW's betas, eps and weight_decay); {@code decays} picks
 * the tensors, by HF name, that get weight decay. The learning rate is not here: the schedule gives
 * it per step.
 */
public record AdamWSettings(double beta1, double beta2, double eps, double weightDecay, Predicate<String> decays) {
    public AdamWSettings {
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must lie in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must lie in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight_decay must be >= 0, got " + weightDecay);
    }

    /**
     * One AdamW update of tensor p from its gradient g and moments m, v at learning rate lr; step
     * counts from 1; the weight decay applies when {@code decays} accepts p's name.
     */
    public void update(Tensor p, float[] g, float[] m, float[] v, double lr, int step) {
        float wd = decays.test(p.name()) ? (float) weightDecay : 0f;
        AdamW.update(p.data(), g, m, v, p.size(), step, (float) lr, (float) beta1, (float) beta2, (float) eps, wd);
    }

    /** The given betas, eps and decay, the decay applied to all but norms and biases. */
    public static AdamWSettings of(double beta1, double beta2, double eps, double weightDecay) {
        return new AdamWSettings(beta1, beta2, eps, weightDecay, Parameters::decays);
    }
}
