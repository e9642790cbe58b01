package dev.cairn.store.pack;

import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simulated small file system for the packs of a test store, on a real directory: pack writes
 * that grow files take from a byte budget and fail with "No space left on device" when it is
 * spent (a write crossing it puts part of its bytes, as a real disk does), deleting a pack gives
 * its bytes back, and {@link PackStore#usableSpace()} reports what is left. For tests of a full
 * disk where no small real file system can be mounted. Thread-safe enough for one writer at a time.
 */
public final class SmallVolume {
    private final AtomicLong free;
    /** Added to what usableSpace() reports: free space that another writer takes meanwhile. */
    private volatile long overReport;

    public SmallVolume(long freeBytes) {
        this.free = new AtomicLong(freeBytes);
    }

    public long free() {
        return free.get();
    }

    public void setFree(long bytes) {
        free.set(bytes);
    }

    /** Makes usableSpace() report {@code bytes} more than there is (space taken behind the caller's back). */
    public void overReport(long bytes) {
        overReport = bytes;
    }

    /** A local pack store under {@code root} whose packs live on this volume. */
    public PackStore packStore(Path root) throws IOException {
        LocalPackStore local = new LocalPackStore(root, 16, (path, options) -> {
            FaultyFileChannel ch = new FaultyFileChannel(FileChannel.open(path, options));
            ch.volume = free;
            return ch;
        });
        return new PackStore() {
            @Override
            public PackWriter create() throws IOException {
                return local.create();
            }

            @Override
            public EncodedChunk read(ChunkLocation loc, ChunkId expectedId) throws IOException {
                return local.read(loc, expectedId);
            }

            @Override
            public EncodedChunk read(ChunkLocation loc, ChunkId expectedId, byte[] scratch) throws IOException {
                return local.read(loc, expectedId, scratch);
            }

            @Override
            public List<PackInfo> list() throws IOException {
                return local.list();
            }

            @Override
            public PackIndex readIndex(PackId id) throws IOException {
                return local.readIndex(id);
            }

            @Override
            public void scan(PackId id, RecordVisitor visitor) throws IOException {
                local.scan(id, visitor);
            }

            @Override
            public PackIndex recover(PackId id, long keep) throws IOException {
                return local.recover(id, keep);
            }

            @Override
            public void delete(PackId id) throws IOException {
                long size;
                try {
                    size = Files.size(local.pathOf(id));
                } catch (NoSuchFileException e) {
                    size = 0;
                }
                local.delete(id);
                free.addAndGet(size);
            }

            @Override
            public long usableSpace() {
                return Math.max(0, free.get()) + overReport;
            }

            @Override
            public void close() {
                local.close();
            }

            @Override
            public String toString() {
                return "SmallVolume[" + local + ", " + free.get() + " bytes free]";
            }
        };
    }
}
