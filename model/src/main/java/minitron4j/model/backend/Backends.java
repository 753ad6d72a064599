package minitron4j.model.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a backend by name: {@code cpu}, or one registered as a {@link Backend} service. */
public final class Backends {
    private Backends() {}

    public static List<String> available() {
        List<String> names = new ArrayList<>(List.of("cpu"));
        for (Backend b : ServiceLoader.load(Backend.class)) names.add(b.name());
        return names;
    }

    public static Backend get(String name) {
        if (name.equals("cpu")) return new CpuBackend();
        for (Backend b : ServiceLoader.load(Backend.class)) {
            if (!b.name().equals(name)) continue;
            String why = b.unavailableReason();
            if (why != null) throw new IllegalStateException("--backend " + name + " cannot run here: " + why);
            return b;
        }
        if (name.equals("tornado"))
            throw new IllegalStateException("--backend tornado needs the TornadoVM backend: build with -Ptornado against a"
                    + " TornadoVM SDK (TORNADOVM_HOME) and run through bin/minitron4j-tornado; see README, 'GPU backend'");
        throw new IllegalArgumentException("unknown --backend " + name + "; available: " + available());
    }
}
