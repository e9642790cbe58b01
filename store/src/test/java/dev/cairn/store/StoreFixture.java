package dev.cairn.store;

import dev.cairn.protocol.chunk.ChunkerParams;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.ManifestId;

import dev.cairn.protocol.manifest.PutOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;

/** Helpers shared by store tests. */
public final class StoreFixture {
    /** Small chunks and packs, so tests exercise many chunks, rolls and deltas with little data. */
    public static final ChunkerParams SMALL = new ChunkerParams(512, 2048, 8192);

    private StoreFixture() {
    }

    public static RepositoryOptions smallOptions() {
        return RepositoryOptions.defaults().withChunker(SMALL).withPackTargetBytes(1 << 20).withWorkers(2);
    }

    public static Repository open(Path dir) throws IOException {
        return Repository.open(dir, smallOptions());
    }

    public static PutOptions opts(String series, long minute) {
        return PutOptions.of(CheckpointMeta.of(series, Instant.parse("2026-11-01T00:00:00Z").plusSeconds(60 * minute)));
    }

    public static PutResult put(Repository repo, PutOptions o, byte[] data) throws IOException {
        return repo.put(o, new ByteArrayInputStream(data));
    }

    public static byte[] get(Repository repo, ManifestId id) throws IOException {
        try (InputStream in = repo.open(id)) {
            return in.readAllBytes();
        }
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
