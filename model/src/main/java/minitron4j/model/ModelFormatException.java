package minitron4j.model;

/** A model file (config, weights, tokenizer) that cannot be used; the message names the file and the field. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
