package minitron4j.model.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The check every writer makes before it writes: its output must not be, or contain, one of its
 * inputs (compared with symbolic links resolved), since writing it would destroy what is being read.
 */
public final class OutputPaths {
    private OutputPaths() {}

    /**
     * Throws IllegalArgumentException naming outOption when out is one of inputs or a folder that
     * holds one; null inputs are skipped.
     */
    public static void refuseInputs(String outOption, Path out, Path... inputs) throws IOException {
        Path o = resolved(out);
        for (Path in : inputs) {
            if (in == null) continue;
            Path i = resolved(in);
            if (i.startsWith(o))
                throw new IllegalArgumentException(outOption + " " + out + (i.equals(o) ? " is the input " : " holds the input ") + in
                        + ": writing it would destroy what is being read; choose another path");
        }
    }

    /** The real path of p, or of its nearest existing ancestor with the rest appended. */
    private static Path resolved(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        if (Files.exists(abs)) return abs.toRealPath();
        Path parent = abs.getParent();
        return parent == null ? abs : resolved(parent).resolve(abs.getFileName());
    }
}
