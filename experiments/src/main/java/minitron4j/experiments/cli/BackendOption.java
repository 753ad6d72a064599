package minitron4j.experiments.cli;

import minitron4j.model.backend.Backend;
import minitron4j.model.backend.Backends;
import picocli.CommandLine.Option;

/** {@code --backend cpu|tornado}: where the passes run (default cpu). */
public final class BackendOption {
    @Option(names = "--backend", defaultValue = "cpu", description = "cpu (default) or tornado (TornadoVM, when installed)")
    String name;

    Backend backend() {
        return Backends.get(name);
    }

}
