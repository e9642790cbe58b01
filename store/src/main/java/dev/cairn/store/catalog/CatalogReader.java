package dev.cairn.store.catalog;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Replays catalog files without changing them. A record that fails its checks is not skipped
 * silently: the reader searches forward for the next valid record; if one exists, the bytes in
 * between are reported as damage, and if none does and the file is the newest, the rest is the
 * torn tail of an interrupted append (the caller cuts it). In an older file, which was complete
 * and fsynced before the next one was created, a bad tail is damage.
 */
public final class CatalogReader {
    private static final Pattern NAME = Pattern.compile("[0-9a-f]{16}\\.log");
    private static final int WINDOW = 1 << 20;

    private CatalogReader() {
    }

    /**
     * The outcome of a read.
     *
     * @param fileBytes          generation → record bytes, for the files replayed
     * @param damagedGenerations files with damage
     * @param superseded         files below the newest snapshot (a compaction's leftovers)
     * @param tornFile           the newest file if it ends in an incomplete record, else null
     * @param tornAt             where that record starts (0: the header itself is incomplete)
     */
    public record Result(Replay replay, State state, Map<Long, Long> fileBytes, Set<Long> damagedGenerations,
                         List<Path> superseded, Path tornFile, long tornAt, long tornBytes, Map<Long, Long> ends,
                         long snapshot) {
        /** Live manifest ids with the fingerprint of their manifest record (-1: labels only). */
        public Map<ManifestId, Long> fingerprints() {
            Map<ManifestId, Long> m = new HashMap<>();
            state.entries.forEach((id, e) -> m.put(id, e.mGen >= 0 ? e.fingerprint : -1L));
            return m;
        }

        /** Live manifest ids with their labels bytes (null: manifest only). */
        public Map<ManifestId, byte[]> labels() {
            Map<ManifestId, byte[]> m = new HashMap<>();
            state.entries.forEach((id, e) -> m.put(id, e.labels));
            return m;
        }
    }

    private record Header(CatalogCodec.Header h, String damage) {
    }

    public static Result read(Path dir) throws IOException, CairnException {
        TreeMap<Long, Path> byGen = new TreeMap<>();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (NAME.matcher(n).matches()) {
                    byGen.put(Long.parseUnsignedLong(n.substring(0, 16), 16), p);
                }
            }
        }
        State state = new State();
        List<Replay.Damage> damage = new ArrayList<>();
        Map<Long, Long> fileBytes = new TreeMap<>();
        Map<Long, Long> ends = new TreeMap<>();
        java.util.Set<Long> damagedGens = new java.util.HashSet<>();
        List<Path> superseded = new ArrayList<>();
        Path tornFile = null;
        long tornAt = 0;
        long tornBytes = 0;
        byte[] config = null;
        long records = 0;
        long newest = byGen.isEmpty() ? -1 : byGen.lastKey();
        Map<Long, Header> headers = new HashMap<>();
        long snapshot = -1;
        for (Map.Entry<Long, Path> f : byGen.entrySet()) {
            Header h = header(f.getValue(), f.getKey());
            headers.put(f.getKey(), h);
            if (h.h() != null && h.h().kind() == CatalogCodec.KIND_SNAPSHOT) {
                snapshot = f.getKey();
            }
        }
        long prev = -1;
        for (Map.Entry<Long, Path> f : byGen.entrySet()) {
            long gen = f.getKey();
            Path p = f.getValue();
            if (gen < snapshot) {
                superseded.add(p);
                continue;
            }
            Header hd = headers.get(gen);
            boolean expectedGap = gen == prev + 2 && hd.h() != null
                    && (hd.h().flags() & CatalogCodec.FLAG_AFTER_SNAPSHOT) != 0;
            if (prev >= 0 && gen != prev + 1 && !expectedGap) {
                // Generations are consecutive from the newest snapshot on: a gap is a lost file.
                damage.add(new Replay.Damage(dir.resolve(String.format("%016x.log", prev + 1)), 0, 0,
                        "catalog files of generations " + (prev + 1) + " to " + (gen - 1) + " are missing"));
            }
            prev = gen;
            Header h = headers.get(gen);
            long size = Files.size(p);
            if (h.h() == null) {
                if (h.damage() == null && gen == newest) {
                    tornFile = p; // created, header not complete: a crash while starting a generation
                    tornAt = 0;
                    tornBytes = size;
                } else {
                    damage.add(new Replay.Damage(p, 0, size, h.damage() == null ? "incomplete header" : h.damage()));
                    damagedGens.add(gen);
                }
                continue;
            }
            config = h.h().config();
            long bytes = 0;
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                long pos = h.h().length();
                while (pos < size) {
                    Parsed r = parse(ch, pos, size);
                    if (r.ok()) {
                        state.apply(r.type, r.id, gen, pos, r.len, r.fingerprint, r.labels);
                        records++;
                        bytes += r.len;
                        pos += r.len;
                        continue;
                    }
                    long next = resync(ch, pos + 1, size);
                    if (next < 0 && gen == newest) {
                        tornFile = p;
                        tornAt = pos;
                        tornBytes = size - pos;
                        break;
                    }
                    long end = next < 0 ? size : next;
                    damage.add(new Replay.Damage(p, pos, end - pos, r.why));
                    damagedGens.add(gen);
                    if (next < 0) {
                        break;
                    }
                    pos = next;
                }
                ends.put(gen, tornFile == p ? tornAt : size);
            }
            fileBytes.put(gen, bytes);
        }
        Replay replay = new Replay(config, Set.copyOf(state.forgotten), List.copyOf(damage), records);
        return new Result(replay, state, fileBytes, damagedGens, superseded, tornFile, tornAt, tornBytes, ends, snapshot);
    }

    private static Header header(Path p, long gen) throws IOException, CairnException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(24 + 4096 + 4);
            int n = dev.cairn.store.pack.FileIo.readFully(ch, b, 0);
            CatalogCodec.Header h = CatalogCodec.decodeHeader(b.array(), n);
            if (h != null && h.generation() != gen) {
                return new Header(null, "header names generation " + h.generation() + ", the file name " + gen);
            }
            return new Header(h, null);
        } catch (IllegalArgumentException e) {
            return new Header(null, e.getMessage());
        } catch (UnsupportedOperationException e) {
            throw new CairnException(Status.UNSUPPORTED_VERSION, p + ": " + e.getMessage() + ": upgrade Cairn", e);
        }
    }

    private static final class Parsed {
        String why;
        int type;
        int len;
        ManifestId id;
        long fingerprint;
        byte[] labels;

        boolean ok() {
            return why == null;
        }
    }

    /** Parses and checks the record at {@code pos}; {@link Parsed#why} says what is wrong, if anything. */
    private static Parsed parse(FileChannel ch, long pos, long size) throws IOException {
        Parsed r = new Parsed();
        if (size - pos < CatalogCodec.RECORD_OVERHEAD + 1 + 32) {
            r.why = "incomplete record";
            return r;
        }
        ByteBuffer lb = ByteBuffer.allocate(4);
        dev.cairn.store.pack.FileIo.readFully(ch, lb, pos);
        int len = lb.getInt(0);
        if (len < 1 + 32 || len > CatalogCodec.MAX_RECORD) {
            r.why = "implausible record length " + len;
            return r;
        }
        if (pos + CatalogCodec.RECORD_OVERHEAD + len > size) {
            r.why = "record of " + len + " bytes runs past the end of the file";
            return r;
        }
        byte[] rec = new byte[CatalogCodec.RECORD_OVERHEAD + len];
        dev.cairn.store.pack.FileIo.readFully(ch, ByteBuffer.wrap(rec), pos);
        int stored = ByteBuffer.wrap(rec, rec.length - 4, 4).getInt();
        int actual = CatalogCodec.crc(rec, 0, rec.length - 4);
        if (stored != actual) {
            r.why = String.format("record CRC32C mismatch: stored %08x, computed %08x", stored, actual);
            return r;
        }
        r.type = rec[4] & 0xff;
        byte[] payload = java.util.Arrays.copyOfRange(rec, 5, rec.length - 4);
        try {
            r.id = CatalogCodec.idOf(payload);
            switch (r.type) {
                case CatalogCodec.MANIFEST -> r.fingerprint = CatalogCodec.fingerprint(CatalogCodec.decodeManifest(payload).manifest());
                case CatalogCodec.LABELS -> r.labels = CatalogCodec.decodeLabels(payload);
                case CatalogCodec.FORGET -> {
                    if (payload.length != 32) {
                        throw new IllegalArgumentException("FORGET record of " + payload.length + " bytes");
                    }
                }
                default -> throw new IllegalArgumentException("unknown record type " + r.type);
            }
        } catch (IllegalArgumentException e) {
            r.why = e.getMessage();
            return r;
        }
        r.len = rec.length;
        return r;
    }

    /** The offset of the next valid record at or after {@code from}, or -1. */
    private static long resync(FileChannel ch, long from, long size) throws IOException {
        ByteBuffer w = ByteBuffer.allocate(WINDOW);
        long base = from;
        while (base + CatalogCodec.RECORD_OVERHEAD + 33 <= size) {
            w.clear();
            int n = dev.cairn.store.pack.FileIo.readFully(ch, w, base);
            for (int i = 0; i + 5 <= n; i++) {
                int len = w.getInt(i);
                int type = w.get(i + 4) & 0xff;
                if (len >= 33 && len <= CatalogCodec.MAX_RECORD && type >= 1 && type <= 3
                        && base + i + CatalogCodec.RECORD_OVERHEAD + len <= size && parse(ch, base + i, size).ok()) {
                    return base + i;
                }
            }
            if (n < 5) {
                break;
            }
            base += n - 4;
        }
        return -1;
    }
}
