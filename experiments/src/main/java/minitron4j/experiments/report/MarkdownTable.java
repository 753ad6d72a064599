package minitron4j.experiments.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A GitHub-flavoured Markdown table built row by row. Columns are padded so the source reads as a
 * table too; a column is right-aligned when every cell of it is a number (or empty / "-"), so
 * figures line up in the rendered report.
 */
public final class MarkdownTable {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public MarkdownTable(String... header) {
        if (header.length == 0) throw new IllegalArgumentException("a table needs at least one column");
        this.header = List.of(header);
    }

    /** Adds a row; cells are shown with {@link String#valueOf}, nulls as "-". */
    public MarkdownTable row(Object... cells) {
        if (cells.length != header.size())
            throw new IllegalArgumentException("row has " + cells.length + " cells, the table has "
                    + header.size() + " columns " + header);
        rows.add(Arrays.stream(cells).map(MarkdownTable::cell).toList());
        return this;
    }

    /** A number with a fixed count of decimals ("-" for NaN), for table cells. */
    public static String number(double value, int decimals) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    public int rowCount() {
        return rows.size();
    }

    @Override
    public String toString() {
        int cols = header.size();
        int[] width = new int[cols];
        boolean[] numeric = new boolean[cols];
        for (int c = 0; c < cols; c++) {
            width[c] = Math.max(3, header.get(c).length());
            numeric[c] = !rows.isEmpty();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
                numeric[c] &= isNumber(r.get(c));
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, header, width, numeric);
        sb.append('|');
        for (int c = 0; c < cols; c++)
            sb.append(' ').append("-".repeat(width[c] - (numeric[c] ? 1 : 0))).append(numeric[c] ? ":" : "").append(" |");
        sb.append('\n');
        for (List<String> r : rows) line(sb, r, width, numeric);
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] width, boolean[] rightAligned) {
        sb.append('|');
        for (int c = 0; c < cells.size(); c++) {
            String s = cells.get(c);
            String pad = " ".repeat(width[c] - s.length());
            sb.append(' ').append(rightAligned[c] ? pad + s : s + pad).append(" |");
        }
        sb.append('\n');
    }

    private static String cell(Object o) {
        if (o == null) return "-";
        // A pipe would end the cell and a newline the row: escape the one, flatten the other.
        return String.valueOf(o).replace("|", "\\|").replace('\n', ' ');
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.equals("-")) return true;
        String core = s.replace(",", "").replace("%", "").replace("x", "");
        try {
            Double.parseDouble(core.split(" ")[0]);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
