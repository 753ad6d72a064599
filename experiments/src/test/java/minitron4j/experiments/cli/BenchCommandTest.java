package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.JsonNode;
import minitron4j.experiments.bench.BenchShape;
import minitron4j.model.Nemotron;
import org.junit.jupiter.api.Test;

import static minitron4j.experiments.cli.CommandLineTest.lastLine;
import static minitron4j.experiments.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code minitron4j bench} on the CPU backend at the tiny shape. */
class BenchCommandTest {
    @Test
    void reportsEveryStageOfTheCpuBackendAsTheLastJsonLine() throws Exception {
        CommandLineTest.Run r = run("bench", "--backend", "cpu", "--shape", "tiny", "--steps", "2", "--matmul", "48",
                "--matmul-repeats", "2", "--decode-tokens", "3", "--json", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JsonOutput.JSON.readTree(lastLine(r.out()));
        assertEquals("cpu", o.get("backend").asText());
        assertTrue(o.get("device").asText().contains("1 threads"), o.toString());
        assertEquals("tiny", o.get("shape").asText());
        assertEquals(BenchShape.TINY.student().parameterCount(), o.get("student").get("parameters").asLong());
        assertTrue(o.get("matmul").get("tflops").get("packed").asDouble() > 0, o.toString());

        JsonNode kd = o.get("kd_step");
        double ms = kd.get("ms").asDouble();
        assertTrue(ms > 0 && Double.isFinite(kd.get("kd_loss").asDouble()) && kd.get("grad_norm").asDouble() > 0, kd.toString());
        assertEquals(BenchShape.TINY.tokens() / (ms / 1e3), kd.get("tokens_per_s").asDouble(), 1e-6 * kd.get("tokens_per_s").asDouble());
        // TFLOP/s count the teacher's forward and the student's forward and backward (three forwards)
        BenchShape s = BenchShape.TINY;
        double flops = Nemotron.forwardFlops(s.teacher(), s.batch(), s.seq()) + 3 * Nemotron.forwardFlops(s.student(), s.batch(), s.seq());
        assertEquals(flops, kd.get("tflops").asDouble() * 1e12 * ms / 1e3, 1e-6 * flops);
        for (String stage : new String[]{"teacher_and_student_ms", "gradient_norm_ms", "update_ms"})
            assertTrue(kd.get(stage).asDouble() > 0 && kd.get(stage).asDouble() <= ms * 2, stage + " in " + kd);

        assertTrue(o.get("teacher_forward").get("tokens_per_s").asDouble() > 0, o.toString());
        JsonNode decode = o.get("decode");
        assertEquals(3, decode.get("tokens").asInt());
        assertTrue(decode.get("tokens_per_s").asDouble() > 0 && decode.get("prefill_ms").asDouble() > 0, decode.toString());
    }

    @Test
    void refusesAnUnknownShapeByNamingTheKnownOnes() {
        CommandLineTest.Run r = run("bench", "--backend", "cpu", "--shape", "huge", "--json");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--shape huge is not a bench shape; known: [anchor, small, tiny] and the released [minitron-4b, minitron-8b, nemotron-4-15b]"), r.err());
    }
}
