// Oracle for tests/lang_versions.rs: maven-artifact's ComparableVersion.compareTo.
// Usage: java -cp MAVEN_ARTIFACT_JAR MavenOracle.java PAIRS. PAIRS holds lines `HEX_A,HEX_B`
// (UTF-8, hex-encoded). One output line per pair: `<`, `=`, `>`, or `E` (exception). The first
// output line is `# maven-artifact <version>`.
import org.apache.maven.artifact.versioning.ComparableVersion;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

public class MavenOracle {
    public static void main(String[] args) throws Exception {
        StringBuilder sb = new StringBuilder();
        sb.append("# maven-artifact ")
                .append(ComparableVersion.class.getPackage().getImplementationVersion())
                .append('\n');
        HexFormat hex = HexFormat.of();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.US_ASCII)) {
            if (line.isEmpty()) {
                continue;
            }
            int comma = line.indexOf(',');
            String a = new String(hex.parseHex(line.substring(0, comma)), StandardCharsets.UTF_8);
            String b = new String(hex.parseHex(line.substring(comma + 1)), StandardCharsets.UTF_8);
            String r;
            try {
                int c = new ComparableVersion(a).compareTo(new ComparableVersion(b));
                r = c < 0 ? "<" : c > 0 ? ">" : "=";
            } catch (Throwable t) {
                r = "E";
            }
            sb.append(r).append('\n');
        }
        System.out.print(sb);
    }
}
