package minitron4j.model;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the operating system says about memory: for the memory checks, weight placement and benchmarks. */
public final class SystemMemory {
    private SystemMemory() {}

    /** The machine's physical memory in bytes. */
    public static long physical() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** Memory the kernel could give now without swapping (Linux MemAvailable), or -1 where /proc does not say. */
    public static long available() {
        return procKilobytes(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    /** This process's peak resident set (Linux VmHWM), or -1 where /proc does not say. */
    public static long peakResident() {
        return procKilobytes(Path.of("/proc/self/status"), "VmHWM:");
    }

    /** The "KEY: N kB" line of a /proc file, in bytes. */
    private static long procKilobytes(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file))
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
