/**
 * Minitron pruning: importance from activations, plans, trimming and export.
 *
 * <p>The path of the data: calibration {@link minitron4j.model.Batch}es run through the ordinary
 * forward pass with an {@link minitron4j.pruning.ImportanceEstimator} observing it
 * ({@link minitron4j.pruning.Pruning#importance}) and give {@link minitron4j.pruning.ImportanceScores}
 * (scores.json); scores and a {@link minitron4j.pruning.PruningTarget} give a
 * {@link minitron4j.pruning.PruningPlan} (kept indices per axis); the {@link minitron4j.pruning.Trimmer}
 * cuts the parameters to it; {@link minitron4j.pruning.PrunedCheckpoint} writes an HF checkpoint with
 * pruning.json ({@link minitron4j.pruning.PruningRecord}). {@link minitron4j.pruning.Pruning#prune}
 * does the last three from folders.
 *
 * <p>Conventions where INTERFACES.md leaves room:
 * <ul>
 *   <li>Block Importance is the mean of 1 - cos over every real position of every sample (token-weighted).</li>
 *   <li>{@code layers_loss} and every calibration loss: HF's next-token CE, token-weighted over all batches.</li>
 *   <li>pruning.json's {@code heads[i]} and {@code neurons[i]} belong to pruned layer i, which is source layer
 *       {@code layers[i]}; dropped layers have no entry.</li>
 *   <li>Ties in a ranking go to the lower index. Random selection draws one uniform value per unit from the
 *       seed and ranks by it, so the GQA, depth and folding rules apply to random plans unchanged.</li>
 *   <li>Head folding pairs the lowest-ranked kept head of a group with the highest-ranked pruned one, and so
 *       on inward; when more heads are pruned than kept, the pruned heads beyond the mirror pairs are not folded.</li>
 * </ul>
 */
package minitron4j.pruning;
