package minitron4j.experiments.cli;

import minitron4j.model.ModelFormatException;
import minitron4j.model.io.Checkpoint;
import minitron4j.training.TrainingDivergedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * The {@code minitron4j} command line: one subcommand per job. {@code --help} and {@code -h} work on
 * every subcommand (inherited), and {@code minitron4j help CMD} too.
 */
@Command(name = "minitron4j", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "minitron4j 0.1.0",
        description = "Nemotron / Minitron in Java: inference, training, pruning, distillation, experiments.",
        subcommands = {InfoCommand.class, InitCommand.class, ForwardCommand.class, GenerateCommand.class, TokenizeCommand.class,
                ConvertCommand.class, GradsCommand.class, DataCommand.class, TrainCommand.class,
                EvalCommand.class, ImportanceCommand.class, PruneCommand.class, CompareCommand.class,
                DistillCommand.class, SearchCommand.class, DemoCommand.class, BenchCommand.class, FinetuneCommand.class,
                ClassifyCommand.class, QaCommand.class, TagCommand.class, TaskDataCommand.class, FinetuneCompareCommand.class,
                CommandLine.HelpCommand.class})
public final class Minitron4j implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--allow-nonfinite", scope = CommandLine.ScopeType.INHERIT,
            description = "load checkpoints whose weights hold NaN or infinity (refused, naming the first, otherwise)")
    void allowNonFinite(boolean allow) {
        if (allow) System.setProperty(Checkpoint.ALLOW_NONFINITE, "true");
    }

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "print the stack trace of an error (also: MINITRON4J_DEBUG set)")
    boolean verbose;

    /** The subcommand being run, for the one-line out-of-memory message. */
    private static volatile String running = "minitron4j";

    /** No subcommand: the usage, and the exit status of a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    public static void main(String[] args) {
        try {
            System.exit(commandLine().execute(args));
        } catch (OutOfMemoryError e) {
            // The memory checks should have stopped the command before this; still one line, no trace.
            System.err.println(running + ": out of memory (" + e.getMessage() + ", heap limit "
                    + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB): give the JVM more with MINITRON4J_JAVA_OPTS=-Xmx..."
                    + " or make the job smaller (" + running + " --help lists its size options)");
            System.exit(2);
        }
    }

    /** The configured command line (also used by tests to run commands in-process). */
    public static CommandLine commandLine() {
        Minitron4j root = new Minitron4j();
        CommandLine cl = new CommandLine(root);
        cl.setExecutionStrategy(parsed -> {
            running = "minitron4j " + parsed.asCommandLineList().getLast().getCommandName();
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            // Bad input is the user's to fix: say what and where (exit 2). Anything else is a bug of
            // ours (exit 1). One line either way; the stack trace only when asked for.
            boolean user = isUserError(e);
            line.getErr().println("minitron4j " + line.getCommandName() + ": " + (user ? "" : "internal error: ") + describe(e)
                    + (user ? "" : " (--verbose shows where; please report it)"));
            if (root.verbose || System.getenv("MINITRON4J_DEBUG") != null) e.printStackTrace(line.getErr());
            return user ? 2 : 1;
        });
        return cl;
    }

    /**
     * Errors in what the user gave (arguments, files, their contents, a run that diverged): the
     * exception types this project throws for them. Anything else is an internal error.
     */
    static boolean isUserError(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof IllegalStateException || e instanceof IOException
                || e instanceof UncheckedIOException || e instanceof ModelFormatException
                || e instanceof TrainingDivergedException || e instanceof UnsupportedOperationException;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        return isUserError(e) ? m : e.getClass().getSimpleName() + ": " + m;
    }
}
