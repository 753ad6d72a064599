package minitron4j.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes that never leave a half-written file or folder under the final name: the content goes to a
 * hidden temporary sibling (same folder, so the same file system), is flushed to disk, and is then
 * renamed into place. A failure removes the temporary and leaves whatever was there before untouched.
 */
public final class AtomicWrites {
    private AtomicWrites() {
    }

    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    @FunctionalInterface
    public interface DirectoryWriter {
        /** Fills {@code tempDir}, an empty folder that becomes the target once this returns. */
        void write(Path tempDir) throws IOException;
    }

    /** Writes {@code target} through a channel on a temporary sibling, then renames it over the target. */
    public static void replaceFile(Path target, ChannelWriter writer) throws IOException {
        Path parent = parentOf(target);
        Files.createDirectories(parent);
        Path temp = sibling(target, "tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writer.write(ch);
                ch.force(true);
            }
            move(temp, target);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(temp);
        }
        syncDirectory(parent);
    }

    /**
     * Builds a folder in a temporary sibling and puts it in place of {@code target}. An existing target is
     * first renamed aside and deleted only after the new folder is in place, so at every moment either the
     * old or the new complete folder exists (after a crash between the two renames the old one sits in a
     * hidden {@code .NAME.old-*} sibling).
     */
    public static void replaceDirectory(Path target, DirectoryWriter writer) throws IOException {
        Path parent = parentOf(target);
        Files.createDirectories(parent);
        if (Files.exists(target) && !Files.isDirectory(target))
            throw new FileAlreadyExistsException(target.toString(), null, "exists and is not a folder");
        Path temp = sibling(target, "tmp");
        Files.createDirectory(temp);
        boolean done = false;
        try {
            writer.write(temp);
            syncTree(temp);
            if (Files.exists(target)) {
                Path old = sibling(target, "old");
                move(target, old);
                try {
                    move(temp, target);
                } catch (IOException e) {
                    move(old, target);
                    throw e;
                }
                done = true;
                deleteRecursively(old);
            } else {
                move(temp, target);
                done = true;
            }
        } finally {
            if (!done) deleteRecursively(temp);
        }
        syncDirectory(parent);
    }

    /** The hidden siblings {@link #sibling} names: {@code .NAME.tmp-UUID} and {@code .NAME.old-UUID}. */
    private static final Pattern LEFTOVER = Pattern.compile("\\.(.+)\\.(tmp|old)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /**
     * Cleans up after writes that a crash interrupted, in folder (whose writer must own it): removes
     * every temporary sibling these writes leave ({@code .NAME.tmp-UUID}), and every set-aside old
     * version ({@code .NAME.old-UUID}) whose NAME exists; an old version whose NAME is missing (the
     * crash fell between the two renames) is put back under NAME. Nothing else is touched. Returns
     * what it removed.
     */
    public static List<Path> removeLeftovers(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) return List.of();
        List<Path> entries;
        try (Stream<Path> list = Files.list(folder)) {
            entries = list.sorted().toList();
        }
        List<Path> removed = new ArrayList<>();
        for (Path p : entries) {
            Matcher m = LEFTOVER.matcher(p.getFileName().toString());
            if (!m.matches()) continue;
            Path target = folder.resolve(m.group(1));
            if (m.group(2).equals("old") && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                move(p, target);
                continue;
            }
            deleteRecursively(p);
            removed.add(p);
        }
        if (!removed.isEmpty()) syncDirectory(folder);
        return removed;
    }

    private static Path parentOf(Path target) {
        return target.toAbsolutePath().getParent();
    }

    private static Path sibling(Path target, String kind) {
        return parentOf(target).resolve("." + target.getFileName() + "." + kind + "-" + UUID.randomUUID());
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically", e);
        }
    }

    /** Deletes root and everything under it (links themselves, not what they point to); nothing when it is absent. */
    public static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : paths) Files.deleteIfExists(p);
    }

    /** Flushes every file of the new folder before it becomes visible under its final name. */
    private static void syncTree(Path root) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        for (Path f : files)
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                ch.force(true);
            }
        syncDirectory(root);
    }

    /**
     * Makes a rename durable. Opening a folder for reading and forcing it works on Linux and macOS; where
     * the platform refuses, the rename is still atomic, only its durability after a power cut is unknown.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // see above: durability of the rename is best effort where the platform does not allow it
        }
    }
}
