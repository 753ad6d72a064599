package minitron4j.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * {@code manifest.json} of a run folder: git commit, JVM, OS, threads, seed, command line, start
 * and end time, and how the run ended. A resumed run keeps the first start time and adds an entry
 * to {@code resumes}.
 */
public final class RunManifest {
    private final Path file;
    private final ObjectNode root;

    private RunManifest(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** Starts the manifest of a new run (status "running") and writes it. */
    public static RunManifest start(Path file, int threads, long seed) throws IOException {
        return start(file, threads, seed, "cpu");
    }

    /** {@link #start(Path, int, long)} recording the backend the steps run on (results differ in the last bits between backends). */
    public static RunManifest start(Path file, int threads, long seed, String backend) throws IOException {
        ObjectNode o = RunFolder.JSON.createObjectNode();
        o.put("git_commit", gitCommit());
        o.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + ")");
        o.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        o.put("cores", Runtime.getRuntime().availableProcessors());
        o.put("threads", threads);
        o.put("backend", backend);
        o.put("seed", seed);
        o.put("command_line", commandLine());
        o.put("start_time", Instant.now().toString());
        o.putNull("end_time");
        o.put("status", "running");
        RunManifest m = new RunManifest(file, o);
        m.write();
        return m;
    }

    /** Reopens the manifest of a run being resumed from step, recording this session. */
    public static RunManifest resume(Path file, int threads, long seed, int step, String backend) throws IOException {
        if (!Files.exists(file)) return start(file, threads, seed, backend);
        JsonNode n = RunFolder.JSON.readTree(file.toFile());
        if (!(n instanceof ObjectNode o)) throw new IOException(file + ": not a JSON object");
        ArrayNode resumes = o.has("resumes") ? (ArrayNode) o.get("resumes") : o.putArray("resumes");
        ObjectNode r = resumes.addObject();
        r.put("time", Instant.now().toString());
        r.put("from_step", step);
        r.put("git_commit", gitCommit());
        r.put("threads", threads);
        r.put("backend", backend);
        r.put("command_line", commandLine());
        o.putNull("end_time");
        o.put("status", "running");
        RunManifest m = new RunManifest(file, o);
        m.write();
        return m;
    }

    /** Records the end: status "finished" or "diverged" (with the message) and the end time. */
    public void finish(String status, String message) throws IOException {
        root.put("end_time", Instant.now().toString());
        root.put("status", status);
        if (message != null) root.put("message", message);
        else root.remove("message");
        write();
    }

    private void write() throws IOException {
        RunFolder.writeAtomically(file, RunFolder.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
    }

    /** HEAD of the git work tree the JVM runs in, with "-dirty" when it has uncommitted changes; null outside git. */
    static String gitCommit() {
        String head = git("rev-parse", "HEAD");
        if (head == null) return null;
        String status = git("status", "--porcelain", "--untracked-files=no");
        return status == null || status.isEmpty() ? head : head + "-dirty";
    }

    private static String git(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "git";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
            return new String(out, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return null; // no git on this machine: the manifest says null
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String commandLine() {
        return ProcessHandle.current().info().commandLine()
                .orElse(System.getProperty("sun.java.command", "unknown"));
    }
}
