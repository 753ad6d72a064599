package minitron4j.experiments.cli;

import minitron4j.model.io.Checkpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;

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
                DistillCommand.class, SearchCommand.class, DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Minitron4j implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--allow-nonfinite", scope = CommandLine.ScopeType.INHERIT,
            description = "load checkpoints whose weights hold NaN or infinity (refused, naming the first, otherwise)")
    void allowNonFinite(boolean allow) {
        if (allow) System.setProperty(Checkpoint.ALLOW_NONFINITE, "true");
    }

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
            System.err.println("minitron4j: out of memory (" + e.getMessage() + ", heap limit "
                    + Runtime.getRuntime().maxMemory() / (1L << 20) + " MiB): give the JVM more with MINITRON4J_JAVA_OPTS=-Xmx..."
                    + " or use a smaller --batch");
            System.exit(2);
        }
    }

    /** The configured command line (also used by tests to run commands in-process). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Minitron4j());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            // Bad input is the user's to fix: say what and where, no stack trace (unless asked for).
            line.getErr().println("minitron4j " + line.getCommandName() + ": " + describe(e));
            if (System.getenv("MINITRON4J_DEBUG") != null) e.printStackTrace(line.getErr());
            return 2;
        });
        return cl;
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return "no such file: " + m;
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        return m;
    }
}
