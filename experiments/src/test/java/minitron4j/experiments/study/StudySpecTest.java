package minitron4j.experiments.study;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StudySpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static StudySpec parse(String json) throws Exception {
        return StudySpec.fromJson(JSON.readTree(json), StudySpec.demo());
    }

    @Test
    void theDemosTeacherSeesTenTimesOneArmsTokensAndTheCurveReachesSixteenTimes() {
        for (StudySpec s : new StudySpec[]{StudySpec.demo(), StudySpec.full()}) {
            assertTrue(s.teacherTokens() >= 10 * s.armTokens(), s.name() + ": teacher " + s.teacherTokens() + " vs arm " + s.armTokens());
            assertTrue(s.scratchBudgets().getLast() >= 16, s.name());
        }
        assertTrue(StudySpec.full().seeds().size() >= 3);
        assertTrue(StudySpec.full().arms().containsAll(StudySpec.CORRECTION_ARMS));
    }

    @Test
    void fieldsLeftOutTakeTheDemosValues() throws Exception {
        StudySpec s = parse("{\"arm_steps\": 7, \"scratch_budgets\": [1, 3], \"teacher_correction\": {\"corpus\": [\"x\"], \"steps\": 5}}");
        assertEquals(7, s.armSteps());
        assertEquals(java.util.List.of(1.0, 3.0), s.scratchBudgets());
        assertEquals(5, s.correction().steps());
        assertEquals(StudySpec.demo().teacherModel(), s.teacherModel());
        assertEquals(StudySpec.DEFAULT_CORRECTION_LR, s.correction().lr());
        var full = StudySpec.fromJson(JSON.readTree("{\"teacher_correction\": null, \"arms\": [\"width_kd\"]}"), StudySpec.full());
        assertNull(full.correction(), "null switches the default's correction off");
    }

    @Test
    void badValuesAreRefusedWithTheFieldsName() {
        var e = assertThrows(IllegalArgumentException.class, () -> parse("{\"scratch_budgets\": [4, 1]}"));
        assertTrue(e.getMessage().contains("scratch_budgets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("{\"arms\": [\"corrected_kd\"]}"));
        assertTrue(e.getMessage().contains("teacher_correction"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("{\"teacher_correction\": {\"corpus\": [\"x\"]}}"));
        assertTrue(e.getMessage().contains("teacher_correction.steps"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("{\"armz\": 1}"));
        assertTrue(e.getMessage().contains("armz"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("{\"scratch_budgets\": 16}"));
        assertTrue(e.getMessage().contains("scratch_budgets must be a list"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> parse("{\"teacher_correction\": {\"corpus\": [\"x\"], \"steps\": 5, \"learning_rate\": 1}}"));
        assertTrue(e.getMessage().contains("teacher_correction.learning_rate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> parse("{\"teacher\": {\"stepz\": 5}}"));
        assertTrue(e.getMessage().contains("teacher.stepz"), e.getMessage());
    }

    @Test
    void yearRangesOfTheAddressesAreCheckedBeforeAnythingIsInstalled() {
        var e = assertThrows(IllegalArgumentException.class, () -> StudyRunner.corpusFiles("sotu:1900"));
        assertTrue(e.getMessage().contains("sotu:FROM-TO"), e.getMessage());
    }
}
