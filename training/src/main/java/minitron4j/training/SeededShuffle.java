package minitron4j.training;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Fisher-Yates with a SplittableRandom (Collections.shuffle wants a java.util.Random), so task builds
 * and example orders are seed-exact.
 */
public final class SeededShuffle {
    private SeededShuffle() {
    }

    public static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }
}
