package minitron4j.training;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LrScheduleTest {
    @Test
    void warmupThenCosineToTheFloor() {
        LrSchedule s = LrSchedule.warmupCosine(1e-3, 1e-4, 4, 24);
        assertEquals(0.25e-3, s.lr(0), 1e-15);
        assertEquals(0.5e-3, s.lr(1), 1e-15);
        assertEquals(1e-3, s.lr(3), 1e-15, "warm-up ends at the peak");
        assertEquals(1e-3, s.lr(4), 1e-15, "cosine starts at the peak");
        // 19 decay steps from step 4 to the last step 23; half way the rate is the mean of peak and floor
        assertEquals(1e-4 + 0.5 * 0.9e-3 * (1 + Math.cos(Math.PI * 5 / 19)), s.lr(9), 1e-15);
        assertEquals(1e-4, s.lr(23), 1e-15, "the last step reaches the floor");
        assertEquals(1e-4, s.lr(100), 1e-15, "and stays there");
        for (int i = 4; i < 23; i++) assertEquals(true, s.lr(i + 1) <= s.lr(i), "monotone decay at " + i);
    }

    @Test
    void noWarmupAndConstant() {
        assertEquals(2e-3, LrSchedule.warmupCosine(2e-3, 0, 0, 10).lr(0), 1e-15);
        assertEquals(0, LrSchedule.warmupCosine(2e-3, 0, 0, 10).lr(9), 1e-15);
        assertEquals(5e-4, LrSchedule.constant(5e-4).lr(12345), 0);
    }

    @Test
    void badArgumentsNameTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupCosine(1e-3, 2e-3, 0, 10));
        assertEquals(true, e.getMessage().contains("min_lr"), e.getMessage());
    }
}
