package minitron4j.experiments.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron4j.model.tokenizer.HfTokenizer;
import minitron4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Encodes text or decodes ids with an HF tokenizer.json, as HF's encode/decode do. */
@Command(name = "tokenize", description = "Encode --text to ids, or decode --ids to text (special tokens kept).")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "tokenizer.json")
    Path tokenizer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text")
        String text;
        @Option(names = "--ids", description = "comma-separated ids")
        String ids;
    }

    @Option(names = "--json", description = "print JSON (the default output form)")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Tokenizer tok = HfTokenizer.load(tokenizer);
        ObjectNode o = JsonOutput.object();
        if (input.text != null) {
            // The JVM decodes arguments by the locale's charset and turns invalid bytes into U+FFFD.
            if (input.text.indexOf('\uFFFD') >= 0)
                throw new IllegalArgumentException("--text holds U+FFFD, the mark of bytes that were not valid text in the"
                        + " locale's encoding (" + System.getProperty("sun.jnu.encoding") + "); pass the text as valid UTF-8");
            var arr = o.putArray("ids");
            for (int id : tok.encode(input.text)) arr.add(id);
        } else {
            o.put("text", tok.decode(JsonOutput.parseIds(input.ids, "--ids"), false));
        }
        JsonOutput.print(o);
        return 0;
    }
}
