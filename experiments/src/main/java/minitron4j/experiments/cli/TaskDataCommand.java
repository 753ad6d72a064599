package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.training.task.SotuTasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Labeled JSONL for finetune from the corpora reachable here. */
@Command(name = "task-data", description = "Write labeled JSONL for finetune: sotu-era (3 eras) or sotu-party (Democratic/Republican) passages of the State of the Union addresses.")
final class TaskDataCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "sotu-era | sotu-party")
    String task;
    @Option(names = "--out", required = true, description = "folder for train.jsonl, val.jsonl and task.json")
    Path out;
    @Option(names = "--val-fraction", defaultValue = "0.2", description = "share of addresses held out (default ${DEFAULT-VALUE})")
    double valFraction;
    @Option(names = "--seed", defaultValue = "0", description = "which addresses are held out (default ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        SotuTasks.Written w = SotuTasks.write(task, out, valFraction, seed);
        System.err.printf("%s: train %s from %d addresses, val %s from %d -> %s%n", task, w.train(), w.trainAddresses(), w.val(),
                w.valAddresses(), out);
        ObjectNode o = JsonOutput.object();
        o.putPOJO("train", w.train());
        o.putPOJO("val", w.val());
        o.put("out", out.toString());
        JsonOutput.print(o);
        return 0;
    }
}
