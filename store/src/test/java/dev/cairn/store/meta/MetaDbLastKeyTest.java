package dev.cairn.store.meta;

import dev.cairn.store.meta.MetaDb.Cf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MetaDb#lastKeyWithPrefix}: the reverse seek that finds a series' newest checkpoint. */
class MetaDbLastKeyTest {
    @TempDir
    Path dir;

    private static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    @Test
    void findsTheGreatestKeyInsideThePrefixOnly() throws Exception {
        try (MetaDb db = MetaDb.open(dir)) {
            // Neighbours on both sides, and keys that extend the prefix by different lengths.
            for (byte[] k : new byte[][] {b(1, 9, 9), b(2), b(2, 0), b(2, 7, 1), b(2, 7, 0, 5), b(2, 0xff), b(3), b(3, 0)}) {
                db.put(Cf.SERIES, k, new byte[0], false);
            }
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(2))).containsExactly(2, 0xff);
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(2, 7))).containsExactly(2, 7, 1);
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(1))).containsExactly(1, 9, 9);
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(2, 1))).isNull();
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(4))).isNull();
            assertThat(db.lastKeyWithPrefix(Cf.CHUNKS, b(2))).isNull();
        }
    }

    @Test
    void aPrefixOfAllOnesHasNoUpperBound() throws Exception {
        try (MetaDb db = MetaDb.open(dir)) {
            db.put(Cf.SERIES, b(0xfe, 1), new byte[0], false);
            db.put(Cf.SERIES, b(0xff, 0xff, 3), new byte[0], false);
            db.put(Cf.SERIES, b(0xff, 0xff, 4), new byte[0], false);
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(0xff, 0xff))).containsExactly(0xff, 0xff, 4);
            assertThat(db.lastKeyWithPrefix(Cf.SERIES, b(0xfe))).containsExactly(0xfe, 1);
        }
    }
}
