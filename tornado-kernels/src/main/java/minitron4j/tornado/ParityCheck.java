package minitron4j.tornado;

import minitron4j.model.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Compares what {@code forward} and {@code grads} wrote (run with any backend) with an HF golden
 * fixture folder, at the fixtures' tolerances: logits 1e-4, losses 1e-5 relative, gradients 1e-3
 * of each tensor's largest entry; and, when given, the stdout of {@code generate --json} with the
 * fixture's greedy ids (exactly). Prints one JSON line; exit status 1 when anything is off.
 * {@code --generate-args} prints the generate arguments that reproduce the fixture's greedy run.
 * <pre>
 * ParityCheck FIXTURE_DIR FORWARD_OUT CE_GRADS_OUT KD_GRADS_OUT [GENERATE_STDOUT]
 * ParityCheck --generate-args FIXTURE_DIR
 * </pre>
 */
public final class ParityCheck {
    private ParityCheck() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--generate-args")) {
            System.out.println(generateArgs(Path.of(args[1])));
            return;
        }
        if (args.length != 4 && args.length != 5) {
            System.err.println("usage: ParityCheck FIXTURE_DIR FORWARD_OUT CE_GRADS_OUT KD_GRADS_OUT [GENERATE_STDOUT]\n"
                    + "       ParityCheck --generate-args FIXTURE_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        boolean ok = true;
        StringBuilder json = new StringBuilder("{\"fixture\":\"").append(dir.getFileName()).append('"');
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("forward.safetensors"));
             SafetensorsFile got = SafetensorsFile.open(Path.of(args[1]))) {
            double d = maxDiff(golden.readFloats("logits").data(), got.readFloats("logits").data());
            ok &= d <= 1e-4;
            json.append(String.format(Locale.ROOT, ",\"logits_max_diff\":%.3g", d));
        }
        ok &= gradients(dir.resolve("ce_grads.safetensors"), Path.of(args[2]), "loss", "loss", dir.resolve("forward.safetensors"), "ce", json);
        ok &= gradients(dir.resolve("kd_grads.safetensors"), Path.of(args[3]), "kd_loss", "kd_loss", dir.resolve("kd_grads.safetensors"), "kd", json);
        if (args.length == 5) {
            boolean same = Arrays.equals(greedyIds(dir), generatedIds(Path.of(args[4])));
            ok &= same;
            json.append(",\"generate_ids_match\":").append(same);
        }
        System.out.println(json.append(",\"pass\":").append(ok).append('}'));
        System.exit(ok ? 0 : 1);
    }

    /** Every gradient of got against golden (1e-3 of the tensor's largest entry) and the loss (1e-5 relative). */
    private static boolean gradients(Path goldenFile, Path gotFile, String goldenLoss, String gotLoss, Path lossFile, String tag,
                                     StringBuilder json) throws IOException {
        try (SafetensorsFile golden = SafetensorsFile.open(goldenFile); SafetensorsFile got = SafetensorsFile.open(gotFile);
             SafetensorsFile losses = SafetensorsFile.open(lossFile)) {
            double want = losses.readFloats(goldenLoss).data()[0], have = got.readFloats(gotLoss).data()[0];
            double lossRel = Math.abs(want - have) / Math.abs(want);
            double worst = 0;
            String worstName = "";
            for (String name : got.names()) {
                if (name.equals(gotLoss)) continue;
                float[] w = golden.readFloats(name).data(), g = got.readFloats(name).data();
                double max = 0;
                for (float x : w) max = Math.max(max, Math.abs(x));
                double rel = maxDiff(w, g) / max;
                if (!(rel <= worst)) {
                    worst = rel;
                    worstName = name;
                }
            }
            json.append(String.format(Locale.ROOT, ",\"%s_loss_rel_diff\":%.3g,\"%s_grad_worst_rel_diff\":%.3g,\"%s_grad_worst\":\"%s\"",
                    tag, lossRel, tag, worst, tag, worstName));
            return lossRel <= 1e-5 && worst <= 1e-3;
        }
    }

    private static int[] greedyIds(Path dir) throws IOException {
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("generate.safetensors"))) {
            return golden.readInts("generated").data();
        }
    }

    /** The arguments of {@code generate} for the fixture's greedy run: its prompt, as many new tokens, no EOS stop. */
    private static String generateArgs(Path dir) throws IOException {
        try (SafetensorsFile golden = SafetensorsFile.open(dir.resolve("generate.safetensors"))) {
            int[] prompt = golden.readInts("prompt").data();
            int newTokens = golden.readInts("generated").data().length - prompt.length;
            String ids = Arrays.stream(prompt).mapToObj(Integer::toString).collect(Collectors.joining(","));
            return "--prompt-ids " + ids + " --max-new-tokens " + newTokens + " --ignore-eos";
        }
    }

    /** The ids of the last {"ids":[...]} line of a generate --json stdout; null when there is none. */
    private static int[] generatedIds(Path stdout) throws IOException {
        int[] ids = null;
        for (String line : Files.readAllLines(stdout)) {
            Matcher m = IDS.matcher(line.strip());
            if (m.matches()) ids = Arrays.stream(m.group(1).split(",")).mapToInt(Integer::parseInt).toArray();
        }
        return ids;
    }

    private static final Pattern IDS = Pattern.compile("\\{\"ids\":\\[([0-9,]+)].*");

    private static double maxDiff(float[] want, float[] got) {
        if (want.length != got.length) return Double.POSITIVE_INFINITY;
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= worst)) worst = d;
        }
        return worst;
    }
}
