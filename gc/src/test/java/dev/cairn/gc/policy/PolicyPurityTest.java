package dev.cairn.gc.policy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The policy package is a pure decision: no store, no RocksDB, no files, no clock. Fails if any
 * source file under gc/src/main/java/dev/cairn/gc/policy imports (or names fully qualified) any of
 * these, or reads the current time.
 */
class PolicyPurityTest {

    static final Path SOURCES = Path.of("src/main/java/dev/cairn/gc/policy");

    private static final List<Pattern> FORBIDDEN = List.of(
            Pattern.compile("\\bdev\\.cairn\\.store\\b"),
            Pattern.compile("\\borg\\.rocksdb\\b"),
            Pattern.compile("\\bjava\\.nio\\.file\\b"),
            Pattern.compile("\\bjava\\.io\\.File\\b"),
            Pattern.compile("\\bjava\\.io\\.(FileInputStream|FileOutputStream|FileReader|FileWriter|RandomAccessFile)\\b"),
            Pattern.compile("\\b(Instant|LocalDate|LocalDateTime|ZonedDateTime|OffsetDateTime|LocalTime|Year)\\.now\\s*\\("),
            Pattern.compile("\\bClock\\.system"),
            Pattern.compile("\\bSystem\\.(currentTimeMillis|nanoTime)\\s*\\("));

    @Test
    void policySourcesImportNoStorageFilesOrClocks() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertThat(files).as("policy sources found (is the working directory the gc module?)")
                .hasSizeGreaterThanOrEqualTo(15);
        List<String> violations = new ArrayList<>();
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String code = lines.get(i).replaceAll("//.*$", "");
                if (code.trim().startsWith("*") || code.trim().startsWith("/*")) {
                    continue; // Javadoc may talk about these things
                }
                for (Pattern p : FORBIDDEN) {
                    Matcher m = p.matcher(code);
                    if (m.find()) {
                        violations.add(f.getFileName() + ":" + (i + 1) + ": " + m.group() + " in: " + lines.get(i).trim());
                    }
                }
            }
        }
        assertThat(violations).as("impure code in dev.cairn.gc.policy").isEmpty();
    }

    @Test
    void theCheckCatchesAnImport() {
        String line = "import dev.cairn.store.pack.PackStore;";
        assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher(line).find())).isTrue();
        assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher("Instant t = Instant.now();").find())).isTrue();
        assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher("import java.nio.file.Path;").find())).isTrue();
        assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher("new java.io.File(x)").find())).isTrue();
        assertThat(FORBIDDEN.stream().anyMatch(p -> p.matcher("import java.io.Reader;").find())).isFalse();
    }
}
