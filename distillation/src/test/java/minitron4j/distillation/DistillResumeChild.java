package minitron4j.distillation;

import java.nio.file.Path;

/**
 * Runs a distillation in a JVM of its own, slowed by a pause after every logged row so that the
 * resume test can SIGKILL it part way. Arguments: TEACHER STUDENT DATA RUN_DIR STEPS PAUSE_MS.
 */
public final class DistillResumeChild {
    public static void main(String[] args) throws Exception {
        long pause = Long.parseLong(args[5]);
        Distiller.distill(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), DistillerTest.resumeOptions(Integer.parseInt(args[4])),
                Path.of(args[3]), false, row -> {
                    try {
                        Thread.sleep(pause);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }
}
