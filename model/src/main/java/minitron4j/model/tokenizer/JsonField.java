package minitron4j.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import minitron4j.model.ModelFormatException;

import java.util.ArrayList;
import java.util.List;

/**
 * A node of a tokenizer.json together with the file it came from and the JSON path that reached it,
 * so that every complaint names the file, the field, what was expected and what was found.
 */
final class JsonField {
    private final String file;
    /** The field this one is in (null at the top), and its name there or else its index. */
    private final JsonField parent;
    private final String name;
    private final int index;
    private final JsonNode node;

    private JsonField(String file, JsonField parent, String name, int index, JsonNode node) {
        this.file = file;
        this.parent = parent;
        this.name = name;
        this.index = index;
        this.node = node;
    }

    static JsonField root(String file, JsonNode node) {
        return new JsonField(file, null, null, -1, node);
    }

    String file() {
        return file;
    }

    JsonNode node() {
        return node;
    }

    /** The JSON path, e.g. {@code pre_tokenizer.pretokenizers[1].type}; built only for messages. */
    String path() {
        if (parent == null) {
            return "";
        }
        String up = parent.path();
        return name != null ? (up.isEmpty() ? name : up + "." + name) : up + "[" + index + "]";
    }

    JsonField get(String field) {
        JsonNode child = node.isObject() ? node.get(field) : null;
        return new JsonField(file, this, field, -1, child == null ? MissingNode.getInstance() : child);
    }

    boolean isNull() {
        return node.isMissingNode() || node.isNull();
    }

    boolean has(String name) {
        return !get(name).isNull();
    }

    String string() {
        if (!node.isTextual()) {
            throw fail("a string");
        }
        return node.textValue();
    }

    /** The string, or {@code null} where the field is absent or null. */
    String stringOrNull() {
        return isNull() ? null : string();
    }

    boolean bool(boolean absent) {
        if (isNull()) {
            return absent;
        }
        if (!node.isBoolean()) {
            throw fail("true or false");
        }
        return node.booleanValue();
    }

    int integer() {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw fail("an integer");
        }
        return node.intValue();
    }

    int nonNegative() {
        int value = integer();
        if (value < 0) {
            throw fail("a non-negative integer");
        }
        return value;
    }

    /** A one-character string, as Rust's {@code char} fields (Metaspace replacement, Strip content). */
    int codePoint() {
        String s = string();
        if (s.isEmpty() || s.codePointCount(0, s.length()) != 1) {
            throw fail("a single character");
        }
        return s.codePointAt(0);
    }

    List<JsonField> elements() {
        if (!node.isArray()) {
            throw fail("an array");
        }
        List<JsonField> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            out.add(new JsonField(file, this, null, i, node.get(i)));
        }
        return out;
    }

    void requireObject() {
        if (!node.isObject()) {
            throw fail("an object");
        }
    }

    String type() {
        requireObject();
        return get("type").string();
    }

    ModelFormatException fail(String expected) {
        String found = node.isMissingNode() ? "nothing" : abbreviate(node.toString());
        return new ModelFormatException(file + ": " + where() + ": expected " + expected + ", found " + found);
    }

    /** A component or option value this implementation does not reproduce: refused, never approximated. */
    ModelFormatException unsupported(String what) {
        return new ModelFormatException(file + ": " + where() + ": " + what + " is not implemented (found "
                + abbreviate(node.toString()) + ")");
    }

    private String where() {
        String path = path();
        return path.isEmpty() ? "(top level)" : path;
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
