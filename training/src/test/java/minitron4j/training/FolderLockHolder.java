package minitron4j.training;

import minitron4j.model.io.FolderLock;
import java.nio.file.Path;

/** A second process for {@link FolderLockTest}: holds the lock on args[0] until its stdin closes. */
public final class FolderLockHolder {
    private FolderLockHolder() {}

    public static void main(String[] args) throws Exception {
        try (FolderLock lock = FolderLock.inside(Path.of(args[0]), "holder")) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // wait for the parent to close our stdin
            }
        }
    }
}
