package dev.cairn.protocol.manifest;

import dev.cairn.protocol.codec.ByteReader;
import dev.cairn.protocol.codec.ByteWriter;
import dev.cairn.protocol.codec.MalformedDataException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The canonical, storage-independent description of a checkpoint: its metadata and the headers of
 * its entries, sorted by name (UTF-8 byte order). Its {@link #id()} is the SHA-256 of
 * {@link #encode()}, the checkpoint's {@link ManifestId}. Immutable.
 */
public record ManifestHeader(CheckpointMeta meta, List<EntryHeader> entries) {

    /** Magic of the canonical encoding, version 1. */
    static final byte[] MAGIC = {'C', 'M', 'H', '1'};
    /** Most entries one checkpoint may have. */
    public static final int MAX_ENTRIES = 1_000_000;

    private static final Comparator<EntryHeader> BY_NAME =
            (a, b) -> Arrays.compareUnsigned(a.name().getBytes(StandardCharsets.UTF_8), b.name().getBytes(StandardCharsets.UTF_8));

    public ManifestHeader {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a checkpoint has at least one entry");
        }
        if (entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("a checkpoint has at most " + MAX_ENTRIES + " entries");
        }
        List<EntryHeader> sorted = new ArrayList<>(entries);
        sorted.sort(BY_NAME);
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
                throw new IllegalArgumentException("duplicate entry name '" + sorted.get(i).name() + "'");
            }
        }
        if (sorted.get(0).name().isEmpty() && sorted.size() > 1) {
            throw new IllegalArgumentException("a single-stream entry (empty name) must be the only entry");
        }
        entries = List.copyOf(sorted);
    }

    /** True for a single-stream checkpoint (one entry named ""). */
    public boolean isStream() {
        return entries.size() == 1 && entries.get(0).name().isEmpty();
    }

    /** Sum of the entries' sizes. */
    public long logicalBytes() {
        long n = 0;
        for (EntryHeader e : entries) {
            n += e.size();
        }
        return n;
    }

    /** Index of the entry named {@code name}, or -1. */
    public int indexOf(String name) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public ManifestId id() {
        return ManifestId.ofHeader(encode());
    }

    /** The canonical encoding (docs/FORMAT.md, "Manifest identity"). */
    public byte[] encode() {
        ByteWriter w = new ByteWriter(128 + entries.size() * 64);
        w.bytes(MAGIC);
        w.str(meta.series());
        w.i64(meta.createdAt().toEpochMilli());
        w.bool(meta.step().isPresent());
        if (meta.step().isPresent()) {
            w.i64(meta.step().getAsLong());
        }
        w.bool(meta.computeSeconds().isPresent());
        if (meta.computeSeconds().isPresent()) {
            w.f64(meta.computeSeconds().getAsDouble());
        }
        w.bool(meta.derivedFrom().isPresent());
        meta.derivedFrom().ifPresent(d -> w.bytes(d.toBytes()));
        w.i32(meta.metrics().size());
        meta.metrics().forEach((k, v) -> w.str(k).f64(v));
        w.i32(entries.size());
        for (EntryHeader e : entries) {
            w.str(e.name()).u8(e.kind().code()).i64(e.size()).i64(e.chunkCount()).bytes(e.listDigest());
        }
        return w.toByteArray();
    }

    /**
     * Decodes a canonical encoding.
     *
     * @throws MalformedDataException if the bytes are not a valid canonical header
     */
    public static ManifestHeader decode(byte[] bytes) {
        ByteReader r = new ByteReader(bytes);
        try {
            byte[] magic = r.bytes(4);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new MalformedDataException("not a manifest header (magic " + Arrays.toString(magic) + ")");
            }
            String series = r.str();
            Instant created = Instant.ofEpochMilli(r.i64());
            OptionalLong step = r.bool() ? OptionalLong.of(r.i64()) : OptionalLong.empty();
            OptionalDouble compute = r.bool() ? OptionalDouble.of(r.f64()) : OptionalDouble.empty();
            Optional<ManifestId> derived = r.bool() ? Optional.of(ManifestId.fromBytes(r.bytes(32))) : Optional.empty();
            int nm = r.count(10_000, "metric count");
            TreeMap<String, Double> metrics = new TreeMap<>();
            for (int i = 0; i < nm; i++) {
                metrics.put(r.str(), r.f64());
            }
            int ne = r.count(MAX_ENTRIES, "entry count");
            List<EntryHeader> entries = new ArrayList<>(ne);
            for (int i = 0; i < ne; i++) {
                entries.add(new EntryHeader(r.str(), EntryKind.ofCode(r.u8()), r.i64(), r.i64(), r.bytes(32)));
            }
            r.expectEnd("manifest header");
            return new ManifestHeader(new CheckpointMeta(series, created, step, metrics, compute, derived), entries);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid manifest header: " + e.getMessage(), e);
        }
    }
}
