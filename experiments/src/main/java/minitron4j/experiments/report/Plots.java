package minitron4j.experiments.report;

import minitron4j.model.io.AtomicWrites;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report's figures as PNG files (XChart, rendered headless). */
public final class Plots {
    private static final int WIDTH = 900, HEIGHT = 560;

    private Plots() {
    }

    /** One curve: y over x (e.g. loss over step or tokens), points in x order. */
    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length)
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x values but " + y.length + " y values");
        }
    }

    /** One bar: a value and the half-width of its error bar (NaN or 0 for none). */
    public record Bar(String label, double value, double error) {
        public static Bar of(String label, double value) {
            return new Bar(label, value, Double.NaN);
        }
    }

    /** Several curves on one chart, such as the loss curves of every arm of a study. */
    public static void lines(String title, String xLabel, String yLabel, List<Series> series, Path png) throws IOException {
        headless();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        // many curves: a legend inside would hide their ends
        chart.getStyler().setLegendPosition(series.size() > 4 ? Styler.LegendPosition.OutsideE : Styler.LegendPosition.InsideNE);
        for (Series s : series) {
            if (s.x().length == 0) continue;
            XYSeries line = chart.addSeries(s.name(), s.x(), s.y());
            // A curve of one or two points is invisible without markers.
            line.setMarker(s.x().length <= 2 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        write(chart, png);
    }

    /**
     * Curves over a logarithmic x axis (e.g. loss over training tokens, with points marked) and
     * horizontal reference levels across the curves' x range (e.g. other models' final losses).
     */
    public static void logXWithLevels(String title, String xLabel, String yLabel, List<Series> curves, Map<String, Double> levels,
                                      Path png) throws IOException {
        headless();
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle(xLabel).yAxisTitle(yLabel).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLogarithmic(true);
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (Series s : curves)
            for (double x : s.x()) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        if (min > max) throw new IllegalArgumentException("chart " + title + " has no points");
        for (Series s : curves) chart.addSeries(s.name(), s.x(), s.y()).setMarker(SeriesMarkers.CIRCLE);
        for (Map.Entry<String, Double> level : levels.entrySet()) {
            XYSeries line = chart.addSeries(level.getKey(), new double[]{min, max}, new double[]{level.getValue(), level.getValue()});
            line.setMarker(SeriesMarkers.NONE);
        }
        write(chart, png);
    }

    /** A bar per label with its value printed on it and, where given, an error bar (e.g. a 95% CI half-width). */
    public static void bars(String title, String yLabel, List<Bar> bars, Path png) throws IOException {
        if (bars.isEmpty()) throw new IllegalArgumentException("bar chart " + title + " has no bars");
        headless();
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(yLabel).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setDecimalPattern("#,##0.###"); // the bars' labels and the axis: three decimals at most
        chart.getStyler().setXAxisLabelRotation(bars.size() > 4 ? 20 : 0);
        List<String> labels = bars.stream().map(Bar::label).toList();
        List<Double> values = bars.stream().map(Bar::value).toList();
        if (bars.stream().anyMatch(b -> b.error() > 0)) {
            List<Double> errors = bars.stream().map(b -> b.error() > 0 ? b.error() : 0.0).toList();
            chart.addSeries(yLabel, labels, values, errors);
        } else {
            chart.addSeries(yLabel, labels, values);
        }
        write(chart, png);
    }

    /**
     * One histogram panel per named group of values (e.g. importance scores per axis: embedding
     * channels, heads, neurons, layers), laid out two to a row in one PNG. Groups have their own
     * x ranges because the axes' scores have unrelated scales.
     */
    public static void histograms(String title, Map<String, double[]> groups, int bins, Path png) throws IOException {
        if (groups.isEmpty()) throw new IllegalArgumentException("histograms " + title + ": no groups");
        if (bins < 1) throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        headless();
        List<XYChart> panels = new ArrayList<>();
        for (Map.Entry<String, double[]> g : groups.entrySet()) {
            double[] v = g.getValue();
            XYChart chart = new XYChartBuilder().width(WIDTH / 2 + 100).height(HEIGHT / 2 + 60)
                    .title(title + ": " + g.getKey() + " (n=" + v.length + ")").xAxisTitle("score").yAxisTitle("count").build();
            chart.getStyler().setLegendVisible(false);
            chart.getStyler().setYAxisMin(0.0);
            chart.getStyler().setYAxisDecimalPattern("#");
            // Tick values carry every digit of the bin edges; three significant ones are enough to read.
            chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> String.format(Locale.ROOT, "%.3g", x));
            if (v.length > 0) {
                double[][] steps = histogramSteps(v, bins);
                XYSeries s = chart.addSeries(g.getKey(), steps[0], steps[1]);
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.StepArea);
                s.setMarker(SeriesMarkers.NONE);
            }
            panels.add(chart);
        }
        int cols = Math.min(2, panels.size()), rows = (panels.size() + cols - 1) / cols;
        // XChart's grid needs exactly rows * cols panels: an odd count gets a blank one.
        while (panels.size() < rows * cols) {
            XYChart blank = new XYChartBuilder().width(WIDTH / 2 + 100).height(HEIGHT / 2 + 60).build();
            blank.getStyler().setChartTitleVisible(false);
            blank.getStyler().setLegendVisible(false);
            blank.getStyler().setAxisTicksVisible(false);
            blank.getStyler().setPlotBorderVisible(false);
            blank.getStyler().setPlotGridLinesVisible(false);
            panels.add(blank);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BitmapEncoder.saveBitmap(panels, rows, cols, out, BitmapEncoder.BitmapFormat.PNG);
        writeBytes(png, out.toByteArray());
    }

    /**
     * Counts of values in bins equal-width bins over [min, max], as the corner points of a step
     * curve: x = the left edges and then the right edge of the last bin, y = the counts with the last
     * repeated (a step curve holds each y until the next x).
     */
    static double[][] histogramSteps(double[] values, int bins) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (!Double.isFinite(v)) continue;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (min > max) return new double[][]{{0, 1}, {0, 0}};
        if (min == max) {
            min -= 0.5;
            max += 0.5;
        }
        double width = (max - min) / bins;
        double[] counts = new double[bins];
        for (double v : values)
            if (Double.isFinite(v)) counts[Math.min(bins - 1, (int) ((v - min) / width))]++;
        double[] x = new double[bins + 1], y = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
            x[i] = min + i * width;
            y[i] = counts[Math.min(i, bins - 1)];
        }
        return new double[][]{x, y};
    }

    private static void write(Chart<?, ?> chart, Path png) throws IOException {
        writeBytes(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    /** Charts render through AWT, which works without a display only in headless mode, set before AWT starts. */
    private static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    private static void writeBytes(Path file, byte[] bytes) throws IOException {
        AtomicWrites.replaceFile(file, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
        });
    }
}
