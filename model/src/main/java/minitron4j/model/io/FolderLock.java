package minitron4j.model.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One process owns a folder while it writes it: an OS lock on a small file holding the owner's pid,
 * host and command for the message a second process gets. The operating system releases the lock
 * when its process ends, however it ends, so a killed run never blocks its own {@code --resume}; the
 * file is left behind and simply taken over. A run folder holds its lock ({@link #inside}); an output
 * that is replaced whole or must start empty has it beside it ({@link #beside}: {@code .NAME.lock}).
 */
public final class FolderLock implements AutoCloseable {
    /** The lock file inside a run folder. */
    public static final String FILE = ".lock";

    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the run folder dir (created if absent) for command, or throws IllegalStateException
     * naming the process that holds it; nothing in dir is changed then.
     */
    public static FolderLock inside(Path dir, String command) throws IOException {
        Files.createDirectories(dir);
        return acquire(dir, dir.resolve(FILE), command);
    }

    /**
     * Takes the output target (a folder written whole, created later or replaced) for command, with
     * the lock file {@code .NAME.lock} beside it; throws IllegalStateException naming the owner.
     */
    public static FolderLock beside(Path target, String command) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        return acquire(target, abs.getParent().resolve("." + abs.getFileName() + ".lock"), command);
    }

    private static FolderLock acquire(Path dir, Path file, String command) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldHere) {
            lock = null; // this process holds it already
        }
        if (lock == null) {
            String owner = Files.readString(file, StandardCharsets.UTF_8).strip();
            channel.close();
            throw new IllegalStateException(dir + " is being written by another process (" + (owner.isEmpty() ? "owner unknown" : owner)
                    + "); wait for it to end, or choose another folder");
        }
        byte[] owner = ("pid " + ProcessHandle.current().pid() + " on " + host() + ", " + command + ", since " + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(owner), 0);
        channel.force(false);
        return new FolderLock(channel, lock);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an unknown host";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
