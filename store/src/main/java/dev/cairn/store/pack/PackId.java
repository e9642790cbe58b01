package dev.cairn.store.pack;

import java.util.HexFormat;

/**
 * Names one pack file. Random 64-bit values: packs are created without coordination (no counter to
 * persist before the first write), and several daemons may later share one bucket under distinct
 * prefixes. Text form: 16 lowercase hex characters.
 */
public record PackId(long value) implements Comparable<PackId> {

    public static PackId parse(String hex) {
        if (hex.length() != 16) {
            throw new IllegalArgumentException("a pack id is 16 hex characters: " + hex);
        }
        return new PackId(HexFormat.fromHexDigitsToLong(hex));
    }

    public String toHex() {
        return HexFormat.of().toHexDigits(value);
    }

    @Override
    public int compareTo(PackId o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
