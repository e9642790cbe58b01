package dev.cairn.store.catalog;

import dev.cairn.protocol.manifest.ManifestId;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * What replaying the catalog found at open, beside the state itself.
 *
 * @param config    the store config record from the newest readable file header, or null
 * @param forgotten ids whose last record is FORGET (GC deleted them)
 * @param damage    damaged regions (not the torn tail of the newest file, which is cut)
 * @param records   records replayed
 */
public record Replay(byte[] config, Set<ManifestId> forgotten, List<Damage> damage, long records) {
    static final Replay EMPTY = new Replay(null, Set.of(), List.of(), 0);

    /** A region of a catalog file that could not be replayed. */
    public record Damage(Path file, long offset, long length, String why) {
    }

    public boolean damaged() {
        return !damage.isEmpty();
    }
}
