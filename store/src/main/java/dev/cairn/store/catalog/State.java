package dev.cairn.store.catalog;

import dev.cairn.protocol.manifest.ManifestId;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Replayed catalog state: per manifest id, where its latest MANIFEST and LABELS records are, the
 * fingerprint of the manifest record and the labels bytes. Not thread-safe; {@link Catalog}
 * guards it.
 */
final class State {
    final Map<ManifestId, Entry> entries = new HashMap<>();
    /** Ids whose last record is FORGET. */
    final Set<ManifestId> forgotten = new HashSet<>();
    /** Bytes of the records that replay keeps (latest MANIFEST and LABELS per live id). */
    long liveBytes;

    static final class Entry {
        long mGen = -1;
        long mOff;
        int mLen;
        long fingerprint;
        long lGen = -1;
        long lOff;
        int lLen;
        byte[] labels;

        Entry copy() {
            Entry e = new Entry();
            e.mGen = mGen;
            e.mOff = mOff;
            e.mLen = mLen;
            e.fingerprint = fingerprint;
            e.lGen = lGen;
            e.lOff = lOff;
            e.lLen = lLen;
            e.labels = labels;
            return e;
        }
    }

    void apply(int type, ManifestId id, long gen, long off, int len, long fingerprint, byte[] labels) {
        switch (type) {
            case CatalogCodec.MANIFEST -> {
                Entry e = entries.computeIfAbsent(id, k -> new Entry());
                if (e.mGen >= 0) {
                    liveBytes -= e.mLen;
                }
                e.mGen = gen;
                e.mOff = off;
                e.mLen = len;
                e.fingerprint = fingerprint;
                liveBytes += len;
                forgotten.remove(id);
            }
            case CatalogCodec.LABELS -> {
                Entry e = entries.computeIfAbsent(id, k -> new Entry());
                if (e.lGen >= 0) {
                    liveBytes -= e.lLen;
                }
                e.lGen = gen;
                e.lOff = off;
                e.lLen = len;
                e.labels = labels;
                liveBytes += len;
            }
            case CatalogCodec.FORGET -> {
                Entry e = entries.remove(id);
                if (e != null) {
                    liveBytes -= (e.mGen >= 0 ? e.mLen : 0) + (e.lGen >= 0 ? e.lLen : 0);
                }
                forgotten.add(id);
            }
            default -> throw new IllegalArgumentException("unknown catalog record type " + type);
        }
    }
}
