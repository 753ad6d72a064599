package minitron4j.training;

import java.nio.file.Path;

/**
 * Runs a training spec in a JVM of its own, slowed by a pause after every logged row so that the
 * resume test can SIGKILL it part way. Arguments: SPEC_FILE RUN_DIR PAUSE_MS.
 */
public final class ResumeChild {
    public static void main(String[] args) throws Exception {
        long pause = Long.parseLong(args[2]);
        Trainer.run(TrainSpec.load(Path.of(args[0])), Path.of(args[1]), false,
                TrainOptions.defaults().withProgressBar(false).withListener(row -> {
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
    }
}
