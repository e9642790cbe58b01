package dev.cairn.gc.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeriesGlobTest {

    @ParameterizedTest
    @CsvSource({
        "resnet50/*,  resnet50/run-7,      true",
        "resnet50/*,  resnet50/run-7/eval, false",
        "resnet50/*,  resnet50/,           true",
        "resnet50/**, resnet50/run-7/eval, true",
        "resnet50/**, resnet50,            false",
        "**/eval,     a/b/c/eval,          true",
        "**/eval,     eval,                false",
        "*,           abc,                 true",
        "*,           a/b,                 false",
        "**,          a/b,                 true",
        "run-?,       run-7,               true",
        "run-?,       run-17,              false",
        "run-?,       run-/,               false",
        "a.b,         a.b,                 true",
        "a.b,         axb,                 false",
        "a+(b),       a+(b),               true",
    })
    void matches(String glob, String series, boolean expected) {
        assertThat(SeriesGlob.compile(glob).matches(series)).isEqualTo(expected);
    }

    @Test
    void reservedSyntaxIsRefused() {
        assertThatThrownBy(() -> SeriesGlob.compile("a/***")).hasMessageContaining("'***' at position 3 is not valid");
        assertThatThrownBy(() -> SeriesGlob.compile("a{b,c}")).hasMessageContaining("'{' at position 2 is reserved");
        assertThatThrownBy(() -> SeriesGlob.compile("")).hasMessageContaining("must not be empty");
    }

    @ParameterizedTest
    @CsvSource({
        "runs/*,   */exp-1,  runs/exp-1",
        "a/*,      a/*/b,    ",
        "a/**,     a/*/b,    a//b",
        "**,       x,        x",
        "*,        a/b,      ",
        "a?c,      *b*,      abc",
        "a*,       *a,       a",
        "x/**/y,   x/*,      ",
        "x/**/y,   x/*/y,    x//y",
        "ab*,      ac*,      ",
    })
    void overlap(String a, String b, String witness) {
        Optional<String> w = SeriesGlob.compile(a).overlapWitness(SeriesGlob.compile(b));
        Optional<String> back = SeriesGlob.compile(b).overlapWitness(SeriesGlob.compile(a));
        assertThat(w.isPresent()).isEqualTo(witness != null);
        assertThat(back.isPresent()).isEqualTo(witness != null);
        if (witness != null) {
            assertThat(w.get()).isEqualTo(witness);
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 300).map(i -> 1000 + i);
    }

    /** The intersection check agrees with brute force over every short string of the relevant alphabet. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void overlapAgreesWithBruteForce(long seed) {
        Random rnd = new Random(seed);
        String a = randomGlob(rnd);
        String b = randomGlob(rnd);
        SeriesGlob ga = SeriesGlob.compile(a);
        SeriesGlob gb = SeriesGlob.compile(b);
        Optional<String> w = ga.overlapWitness(gb);
        if (w.isPresent()) {
            assertThat(ga.matches(w.get())).as(a + " matches " + w.get()).isTrue();
            assertThat(gb.matches(w.get())).as(b + " matches " + w.get()).isTrue();
        } else {
            for (String s : allStrings("ab/x", 6)) {
                assertThat(ga.matches(s) && gb.matches(s)).as(a + " and " + b + " both match " + s).isFalse();
            }
        }
    }

    private static String randomGlob(Random rnd) {
        String[] atoms = {"a", "b", "/", "*", "**", "?"};
        StringBuilder sb = new StringBuilder();
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            String t = atoms[rnd.nextInt(atoms.length)];
            if (t.startsWith("*") && sb.length() > 0 && sb.charAt(sb.length() - 1) == '*') {
                t = "a";
            }
            sb.append(t);
        }
        return sb.toString();
    }

    private static List<String> allStrings(String alphabet, int maxLen) {
        List<String> out = new ArrayList<>();
        out.add("");
        int from = 0;
        for (int len = 1; len <= maxLen; len++) {
            int to = out.size();
            for (int i = from; i < to; i++) {
                for (char c : alphabet.toCharArray()) {
                    out.add(out.get(i) + c);
                }
            }
            from = to;
        }
        return out;
    }
}
