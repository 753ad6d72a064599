package minitron4j.training;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The loss curve of a run as a PNG: the training objective per step, every validation loss, reference lines. */
public final class LossPlot {
    private LossPlot() {}

    /** A horizontal line for comparison, such as the unigram entropy of the data. */
    public record Reference(String label, double value) {
    }

    /**
     * Plots {@code trainKey} from the training rows and every {@code val_*_loss} key of the
     * validation rows of a log, against step.
     */
    public static void write(List<Map<String, Object>> rows, String trainKey, List<Reference> references, Path png)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        series.put(trainKey, new ArrayList<>());
        for (Map<String, Object> row : rows) {
            double step = ((Number) row.get("step")).doubleValue();
            for (Map.Entry<String, Object> e : row.entrySet()) {
                String key = e.getKey();
                boolean wanted = key.equals(trainKey) || (key.startsWith("val_") && key.endsWith("_loss"));
                if (wanted && e.getValue() instanceof Number v && Double.isFinite(v.doubleValue()))
                    series.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[]{step, v.doubleValue()});
            }
        }
        XYChart chart = new XYChartBuilder().width(900).height(560).title("loss")
                .xAxisTitle("step").yAxisTitle("nats per token").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        double minStep = 0, maxStep = 1;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            if (e.getValue().isEmpty()) continue;
            double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            minStep = Math.min(minStep, x[0]);
            maxStep = Math.max(maxStep, x[x.length - 1]);
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            s.setMarker(e.getKey().equals(trainKey) ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        for (Reference r : references) {
            XYSeries s = chart.addSeries(r.label(), new double[]{minStep, maxStep}, new double[]{r.value(), r.value()});
            s.setMarker(SeriesMarkers.NONE);
        }
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        RunFolder.writeAtomically(png, bytes);
    }
}
