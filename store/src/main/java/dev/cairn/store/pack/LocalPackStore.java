package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.cairn.store.pack.PackCodec.FOOTER_ENTRY_SIZE;
import static dev.cairn.store.pack.PackCodec.HEADER_SIZE;

/**
 * Packs as files on a local file system: {@code <root>/packs/<first 2 hex of id>/<16 hex id>.pack}
 * (the 256 fan-out directories keep directory sizes small with millions of chunks in thousands of
 * packs). See docs/FORMAT.md, "Pack files".
 *
 * <p>Thread-safe. Reads go through a bounded LRU of open read-only channels ({@link ChannelCache})
 * and take no other lock. Writers, index reads, scans and recovery use their own channels.
 * {@link #recover} and {@link #delete} refuse packs that a writer of this store has open.
 */
public final class LocalPackStore implements PackStore {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPackStore.class);

    /** Channels kept open for reads by default; each costs one file descriptor. */
    public static final int DEFAULT_OPEN_CHANNELS = 256;

    static final String PACKS_DIR = "packs";
    static final String SUFFIX = ".pack";
    /** Files being downloaded or staged end in this and are invisible to {@link #list()}. */
    static final String TEMP_SUFFIX = ".tmp";
    private static final Pattern PACK_NAME = Pattern.compile("([0-9a-f]{16})\\.pack");
    private static final Pattern FANOUT_NAME = Pattern.compile("[0-9a-f]{2}");
    private static final int CREATE_ATTEMPTS = 8;
    /**
     * Threads that unlink the packs of one {@link #deleteAll} call. The unlinks are kernel work
     * (dropping cached pages, freeing extents) that overlaps across files; a few threads get most
     * of that, more only contend on the file system's journal.
     */
    static final int DELETE_THREADS = 4;
    /** A read whose shared channel another thread's interrupt closed is tried this often in all. */
    private static final int READ_ATTEMPTS = 8;

    /** Opens the channels writers and recovery write through; a seam for fault-injection tests. */
    interface WriteChannelOpener {
        FileChannel open(Path path, OpenOption... options) throws IOException;
    }

    private final Path root;
    private final Path packsDir;
    private final ChannelCache channels;
    private final WriteChannelOpener writeOpener;
    /**
     * Source of pack ids. Ids must stay distinct across processes and machines (daemons may later
     * share one bucket), which needs a well-seeded generator: ThreadLocalRandom seeds from the
     * clock by default, so processes started together could draw correlated ids. A SecureRandom
     * draw costs microseconds, once per pack. A local collision is still caught by CREATE_NEW.
     */
    private final SecureRandom random = new SecureRandom();
    /** Packs a writer or a recovery of this store is writing; they cannot be recovered or deleted. */
    private final Set<PackId> busy = ConcurrentHashMap.newKeySet();
    /** Reads retried because their channel was closed under them (only interrupts should cause that). */
    private final LongAdder readRetries = new LongAdder();
    /** Directory fsyncs made by {@link #delete} and {@link #deleteAll} (for tests). */
    private final LongAdder directorySyncs = new LongAdder();
    /** Fan-out directories whose entry in {@code packs/} this process has made durable. */
    private final Set<Path> durableDirs = ConcurrentHashMap.newKeySet();

    /** Opens (creating if needed) the pack store under {@code root}. */
    public LocalPackStore(Path root) throws IOException {
        this(root, DEFAULT_OPEN_CHANNELS);
    }

    /** Opens the store keeping at most {@code maxOpenChannels} read channels open. */
    public LocalPackStore(Path root, int maxOpenChannels) throws IOException {
        this(root, maxOpenChannels, FileChannel::open);
    }

    LocalPackStore(Path root, int maxOpenChannels, WriteChannelOpener writeOpener) throws IOException {
        this.root = root;
        this.packsDir = root.resolve(PACKS_DIR);
        this.writeOpener = writeOpener;
        this.channels = new ChannelCache(maxOpenChannels, this::openForRead);
        Files.createDirectories(packsDir);
        // The packs directory's own entry must be durable before any pack inside it is.
        FileIo.fsyncDirectory(root);
    }

    /** The file of pack {@code id}. */
    public Path pathOf(PackId id) {
        String hex = id.toHex();
        return packsDir.resolve(hex.substring(0, 2)).resolve(hex + SUFFIX);
    }

    @Override
    public PackWriter create() throws IOException {
        for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
            PackId id = new PackId(random.nextLong());
            if (!busy.add(id)) {
                continue;
            }
            Path path = pathOf(id);
            FileChannel ch;
            try {
                ensureDurableDir(path.getParent());
                ch = writeOpener.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                busy.remove(id);
                continue; // an existing pack drew the same id: draw again
            } catch (IOException e) {
                busy.remove(id);
                throw withPath("creating pack " + id, path, e);
            }
            try {
                LocalPackWriter writer = new LocalPackWriter(id, path, ch, () -> busy.remove(id));
                // The new name must survive a crash once the caller syncs data into the file.
                FileIo.fsyncDirectory(path.getParent());
                return writer;
            } catch (IOException | RuntimeException e) {
                abandonCreate(id, path, ch, e);
                throw e;
            }
        }
        throw new IOException("could not draw an unused pack id in " + CREATE_ATTEMPTS + " attempts under " + packsDir);
    }

    private void abandonCreate(PackId id, Path path, FileChannel ch, Exception cause) {
        try {
            ch.close();
            Files.deleteIfExists(path);
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed); // a leftover empty pack is recovered or collected later
        } finally {
            busy.remove(id);
        }
    }

    private void ensureDurableDir(Path dir) throws IOException {
        if (durableDirs.contains(dir)) {
            return;
        }
        Files.createDirectories(dir);
        // Even if the directory already existed, another thread (or a process that crashed) may
        // have created it without its entry being durable yet; one fsync per directory per process.
        FileIo.fsyncDirectory(packsDir);
        durableDirs.add(dir);
    }

    @Override
    public EncodedChunk read(ChunkLocation loc, ChunkId expectedId) throws IOException {
        return read(loc, expectedId, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code scratch} is used if it holds at least {@code RECORD_HEADER_SIZE + storedLength}
     * bytes; the payload then starts at offset {@link PackCodec#RECORD_HEADER_SIZE}.
     */
    @Override
    public EncodedChunk read(ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
        checkLocation(loc);
        // FileChannel closes itself for every thread sharing it when a thread blocked in it, or
        // entering it, is interrupted. A thread arriving here already interrupted (a cancelled
        // task) would thus break the cached channel for all readers; the read is short, so it runs
        // with the flag cleared and the flag is restored for the caller to act on.
        boolean interrupted = Thread.interrupted();
        try {
            return readRetryingClosedChannels(loc, expectedId, scratch);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * An interrupt that lands during a read still closes the shared channel: that reader gets
     * ClosedByInterruptException, and the others see ClosedChannelException and retry on a fresh
     * channel (bounded, so a component interrupting relentlessly surfaces as an error, not a hang).
     */
    private EncodedChunk readRetryingClosedChannels(ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
        for (int attempt = 1; ; attempt++) {
            ChannelCache.Handle h = channels.acquire(loc.pack());
            try {
                return PackFileReader.readRecord(h.channel, loc, expectedId, scratch);
            } catch (ClosedByInterruptException e) {
                channels.invalidate(h);
                throw e;
            } catch (ClosedChannelException e) {
                channels.invalidate(h);
                readRetries.increment();
                if (attempt == READ_ATTEMPTS) {
                    throw withPath("reading pack " + loc.pack() + " at offset " + loc.offset()
                            + " (its channel was closed under " + attempt + " attempts)", pathOf(loc.pack()), e);
                }
            } catch (IOException e) {
                throw withPath("reading pack " + loc.pack() + " at offset " + loc.offset(), pathOf(loc.pack()), e);
            } finally {
                h.close();
            }
        }
    }

    private static void checkLocation(ChunkLocation loc) {
        if (loc.offset() < HEADER_SIZE || loc.storedLength() < 0 || loc.storedLength() > PackCodec.MAX_PAYLOAD
                || loc.rawLength() < 0 || loc.rawLength() > PackCodec.MAX_PAYLOAD || !ChunkCodec.isKnown(loc.codec())) {
            throw new IllegalArgumentException("not a valid chunk location: " + loc);
        }
    }

    /** Opens a pack for the read cache; the header is verified once here rather than per read. */
    private FileChannel openForRead(PackId id) throws IOException {
        Path path = pathOf(id);
        FileChannel ch = openReadOnly(id, path);
        try {
            PackFileReader.checkHeader(ch, id, ch.size());
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw withPath("opening pack " + id, path, e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static FileChannel openReadOnly(PackId id, Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PackNotFoundException(id, path, e);
        }
    }

    @Override
    public List<PackInfo> list() throws IOException {
        List<PackInfo> packs = new ArrayList<>();
        try (DirectoryStream<Path> fanout = Files.newDirectoryStream(packsDir)) {
            for (Path dir : fanout) {
                String name = dir.getFileName().toString();
                if (name.endsWith(TEMP_SUFFIX)) {
                    continue;
                }
                if (!Files.isDirectory(dir) || !FANOUT_NAME.matcher(name).matches()) {
                    LOG.warn("ignoring unexpected entry {} in the pack directory", dir);
                    continue;
                }
                listFanoutDir(dir, name, packs);
            }
        }
        packs.sort(Comparator.comparing(PackInfo::id));
        return packs;
    }

    private void listFanoutDir(Path dir, String prefix, List<PackInfo> out) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (name.endsWith(TEMP_SUFFIX)) {
                    continue;
                }
                Matcher m = PACK_NAME.matcher(name);
                if (!m.matches() || !m.group(1).startsWith(prefix) || !Files.isRegularFile(file)) {
                    LOG.warn("ignoring unexpected file {} in the pack directory", file);
                    continue;
                }
                PackId id = PackId.parse(m.group(1));
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    long size = ch.size();
                    out.add(new PackInfo(id, size, endsWithEndMagic(ch, size)));
                } catch (NoSuchFileException e) {
                    // deleted between listing and opening: not present any more
                }
            }
        } catch (NoSuchFileException e) {
            // the fan-out directory vanished (never happens today: they are not removed)
        }
    }

    /** "Sealed" in a listing means the end magic is in place; {@link #readIndex} verifies the rest. */
    private static boolean endsWithEndMagic(FileChannel ch, long size) throws IOException {
        if (size < HEADER_SIZE + PackCodec.TRAILER_SIZE) {
            return false;
        }
        byte[] tail = new byte[PackCodec.END_MAGIC.length];
        return FileIo.readFully(ch, ByteBuffer.wrap(tail), size - tail.length) == tail.length
                && PackCodec.isEndMagic(tail, 0);
    }

    @Override
    public PackIndex readIndex(PackId id) throws IOException {
        Path path = pathOf(id);
        try (FileChannel ch = openReadOnly(id, path)) {
            return PackFileReader.readIndex(ch, id);
        } catch (IOException e) {
            throw withPath("reading the index of pack " + id, path, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>A sealed pack whose footer is damaged is reported through {@link RecordVisitor#corrupt}
     * at the footer, then scanned like an unsealed one, so verification still checks every record
     * it can reach.
     */
    @Override
    public void scan(PackId id, RecordVisitor visitor) throws IOException {
        Path path = pathOf(id);
        try (FileChannel ch = openReadOnly(id, path)) {
            PackFileReader.scan(ch, id, visitor);
        } catch (IOException e) {
            throw withPath("scanning pack " + id, path, e);
        }
    }

    @Override
    public PackIndex salvage(PackId id) throws IOException {
        Path path = pathOf(id);
        try (FileChannel ch = openReadOnly(id, path)) {
            return PackFileReader.salvage(ch, id);
        } catch (IOException e) {
            throw withPath("salvaging pack " + id, path, e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Also completes a seal that a crash interrupted between footer and end magic (the file
     * ends where the magic starts, or inside it). A file shorter than the header can only come
     * from a crash inside {@link #create()} (which makes the header durable before returning a
     * writer), so it held nothing and becomes an empty sealed pack. A pack whose header is
     * unreadable, or whose footer is damaged while its end magic is present, is damage rather than
     * a crash artifact: it is left untouched and reported as {@link CorruptPackException}; the
     * other cases of damage as {@link DamagedPackException}.
     *
     * @throws IllegalStateException if a writer of this store has the pack open
     */
    @Override
    public PackIndex recover(PackId id, long keep) throws IOException {
        if (!busy.add(id)) {
            throw new IllegalStateException("pack " + id + " is being written; only packs without a live writer can be recovered");
        }
        Path path = pathOf(id);
        try (FileChannel ch = openForRecovery(id, path)) {
            return recover(id, path, ch, keep);
        } catch (IOException e) {
            throw withPath("recovering pack " + id, path, e);
        } finally {
            busy.remove(id);
        }
    }

    private FileChannel openForRecovery(PackId id, Path path) throws IOException {
        try {
            return writeOpener.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new PackNotFoundException(id, path, e);
        }
    }

    private static PackIndex recover(PackId id, Path path, FileChannel ch, long keep) throws IOException {
        long size = ch.size();
        if (size < HEADER_SIZE) {
            if (keep > HEADER_SIZE) {
                throw new DamagedPackException(id, 0, "the file has " + size + " bytes, but the chunk index references"
                        + " records up to offset " + keep);
            }
            LOG.warn("pack {} ({}) has {} bytes, less than a header: left by a crash during creation; sealing it empty",
                    id, path, size);
            byte[] header = new byte[HEADER_SIZE];
            PackCodec.encodeHeader(id, header);
            ch.truncate(0);
            FileIo.writeFully(ch, ByteBuffer.wrap(header), 0);
            long end = FooterWriter.seal(ch, HEADER_SIZE, new byte[0], 0);
            return new PackIndex(id, true, end, List.of());
        }
        PackFileReader.checkHeader(ch, id, size);
        PackFileReader.Footer footer = PackFileReader.readFooter(ch, id, size);
        if (footer == null) {
            footer = PackFileReader.findFooter(ch, id, size);
            if (footer != null && footer.trailerAt() + PackCodec.TRAILER_SIZE < size) {
                // A crash leaves the file ending at or inside the end magic, never with bytes
                // after a complete trailer: something else changed this file.
                throw new DamagedPackException(id, footer.trailerAt(), PackFileReader.tailDamage(footer, size).detail());
            }
        }
        if (footer != null) {
            if (!footer.magicIntact()) {
                long magicAt = footer.trailerAt() + PackCodec.TRAILER_SIZE - PackCodec.END_MAGIC.length;
                LOG.warn("pack {} ({}): footer intact but end magic missing or incomplete (a crash between the two"
                        + " fsyncs of its seal); writing the magic", id, path);
                FileIo.writeFully(ch, ByteBuffer.wrap(PackCodec.END_MAGIC.clone()), magicAt);
                ch.force(true);
            }
            return footer.index();
        }
        List<PackIndex.Entry> entries = new ArrayList<>();
        PackFileReader.ScanResult scan = PackFileReader.scanResync(ch, id, size, (offset, buf, off) -> entries.add(new PackIndex.Entry(
                PackCodec.recordId(buf, off), PackCodec.recordLocation(id, offset, buf, off))), null);
        long validEnd = scan.contiguousEnd();
        if (validEnd < keep) {
            throw new DamagedPackException(id, validEnd, "its records are intact up to offset " + validEnd
                    + ", but the chunk index references records up to offset " + keep + " (" + describe(scan, size) + ")");
        }
        if (scan.lastEnd() > validEnd) {
            // A crash tears the end of what was written, so a torn tail holds no valid record.
            // Valid records after a bad one mean bytes were damaged in the middle.
            throw new DamagedPackException(id, validEnd, "after the last valid record in sequence, at offset " + validEnd
                    + ", intact records follow up to offset " + scan.lastEnd() + " (" + describe(scan, size) + ")");
        }
        byte[] footerEntries = new byte[entries.size() * FOOTER_ENTRY_SIZE];
        for (int i = 0; i < entries.size(); i++) {
            PackIndex.Entry e = entries.get(i);
            ChunkLocation loc = e.location();
            PackCodec.encodeFooterEntry(footerEntries, i * FOOTER_ENTRY_SIZE, e.id(), loc.offset(),
                    loc.storedLength(), loc.rawLength(), loc.codec());
        }
        if (validEnd < size) {
            LOG.warn("pack {} ({}): cutting {} bytes after the last valid record at {} of {} bytes",
                    id, path, size - validEnd, validEnd, size);
        }
        long end = FooterWriter.seal(ch, validEnd, footerEntries, entries.size());
        LOG.info("recovered pack {} ({}): {} records, sealed at {} bytes", id, path, entries.size(), end);
        return new PackIndex(id, true, end, List.copyOf(entries));
    }

    private static String describe(PackFileReader.ScanResult scan, long size) {
        StringBuilder sb = new StringBuilder().append(scan.records()).append(" intact records in a file of ")
                .append(size).append(" bytes");
        int shown = 0;
        for (PackIndex.Damage d : scan.gaps()) {
            if (shown++ == 5) {
                sb.append("; ").append(scan.gaps().size() - 5).append(" more damaged regions");
                break;
            }
            sb.append("; damaged ").append(d);
        }
        if (scan.tailStart() < size) {
            sb.append("; no record in the last ").append(size - scan.tailStart()).append(" bytes");
        }
        return sb.toString();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads already holding the pack's channel finish; reads starting after this returns fail
     * with {@link PackNotFoundException}. The directory is fsynced so the deletion survives a crash.
     *
     * @throws IllegalStateException if a writer of this store has the pack open
     */
    @Override
    public void delete(PackId id) throws IOException {
        if (busy.contains(id)) {
            throw new IllegalStateException("pack " + id + " is being written and cannot be deleted");
        }
        Path path = pathOf(id);
        channels.remove(id, () -> {
            try {
                Files.delete(path);
            } catch (NoSuchFileException e) {
                throw new PackNotFoundException(id, path, e);
            } catch (IOException e) {
                throw withPath("deleting pack " + id, path, e);
            }
        });
        syncDirectory(path.getParent());
    }

    /**
     * {@inheritDoc}
     *
     * <p>Refuses (deleting nothing) if a writer of this store has any of the packs open. Unlinks
     * the files on up to {@link #DELETE_THREADS} threads, then fsyncs each fan-out directory that
     * lost a file once, so the deletions are durable when this returns — one directory sync per
     * directory instead of one per pack. Unlinking a large pack whose pages are cached costs the
     * kernel tens of milliseconds (most of a GC's delete step; docs/BENCHMARKS.md, "GC wall
     * time"), and unlinks of different files overlap. If an unlink fails, the others still run
     * and their directories are still synced before the first failure is thrown.
     *
     * @throws IllegalStateException if a writer of this store has one of the packs open
     */
    @Override
    public void deleteAll(List<PackId> ids) throws IOException {
        for (PackId id : ids) {
            if (busy.contains(id)) {
                throw new IllegalStateException("pack " + id + " is being written and cannot be deleted");
            }
        }
        if (ids.isEmpty()) {
            return;
        }
        List<PackId> todo = List.copyOf(new java.util.LinkedHashSet<>(ids));
        boolean[] unlinked = new boolean[todo.size()];
        IOException[] failed = new IOException[todo.size()];
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < todo.size(); ) {
                PackId id = todo.get(i);
                Path path = pathOf(id);
                try {
                    channels.remove(id, () -> Files.delete(path));
                    unlinked[i] = true;
                } catch (NoSuchFileException e) {
                    // already gone: a previous attempt (or a crashed GC) deleted it
                } catch (IOException e) {
                    failed[i] = withPath("deleting pack " + id, path, e);
                } catch (RuntimeException | Error e) {
                    // Recorded, not lost with the thread: a pack neither unlinked nor failed would
                    // let the caller take it for deleted and clear its journal.
                    failed[i] = new IOException("deleting pack " + id + " (" + path + ") failed: " + e, e);
                }
            }
        };
        int threads = Math.min(DELETE_THREADS, todo.size());
        List<Thread> started = new ArrayList<>(threads - 1);
        for (int t = 1; t < threads; t++) {
            Thread th = new Thread(worker, "pack-delete-" + t);
            th.setDaemon(true);
            th.start();
            started.add(th);
        }
        worker.run();
        joinUninterruptibly(started);
        IOException first = null;
        Set<Path> dirs = new java.util.LinkedHashSet<>();
        for (int i = 0; i < todo.size(); i++) {
            if (unlinked[i]) {
                dirs.add(pathOf(todo.get(i)).getParent());
            }
            if (failed[i] != null) {
                if (first == null) {
                    first = failed[i];
                } else {
                    first.addSuppressed(failed[i]);
                }
            }
        }
        // The directory syncs come after every unlink: on ext4 the first one commits the
        // journal transaction holding all of them, and the rest find little left to do.
        for (Path dir : dirs) {
            try {
                syncDirectory(dir);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Waits for the delete workers; an interrupt is kept for the caller, not acted on mid-delete. */
    private static void joinUninterruptibly(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void syncDirectory(Path dir) throws IOException {
        FileIo.fsyncDirectory(dir);
        directorySyncs.increment();
    }

    /** Directory fsyncs done by deletions so far (for tests). */
    long deleteDirectorySyncs() {
        return directorySyncs.sum();
    }

    /** Bytes free for this process on the file system of the packs directory. */
    @Override
    public long usableSpace() throws IOException {
        return Files.getFileStore(packsDir).getUsableSpace();
    }

    /** Closes the cached read channels. Writers stay usable until their owners seal or close them. */
    @Override
    public void close() {
        channels.close();
    }

    /** Reads retried on a fresh channel so far (for tests and metrics). */
    long readRetries() {
        return readRetries.sum();
    }

    /** Number of read channels currently cached (for tests and metrics). */
    int cachedChannels() {
        return channels.size();
    }

    /**
     * Adds the path to an I/O error that lacks it (disk full, EIO), so operators know which file
     * failed. The pack layer's own exceptions and file-system exceptions already name it.
     */
    private static IOException withPath(String what, Path path, IOException e) {
        IOException full = FileIo.classify(what + " (" + path + ")", e);
        if (full != e) {
            return full;
        }
        if (e instanceof CorruptPackException || e instanceof PackNotFoundException
                || e instanceof UnsupportedPackVersionException || e instanceof FileSystemException
                || e instanceof ClosedByInterruptException || e.getMessage() != null && e.getMessage().contains(path.toString())) {
            return e;
        }
        return new IOException(what + " (" + path + ") failed: " + e, e);
    }

    @Override
    public String toString() {
        return "LocalPackStore[" + root + "]";
    }
}
