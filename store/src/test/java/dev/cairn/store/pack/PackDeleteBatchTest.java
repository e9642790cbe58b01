package dev.cairn.store.pack;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LocalPackStore#deleteAll}: one directory fsync per fan-out directory, not per pack, and
 * deletions that do not hold up reads of other packs.
 */
class PackDeleteBatchTest {
    @TempDir
    Path root;
    LocalPackStore store;

    @BeforeEach
    void open() throws IOException {
        store = new LocalPackStore(root, 8);
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Sealed, valid packs with chosen ids (so the test decides which fan-out directory they share). */
    private List<PackId> packsWithIds(long... ids) throws IOException {
        PackWriter w = store.create();
        TestChunks.ofSizes(3, 100, 300).appendTo(w);
        w.seal();
        byte[] template = Files.readAllBytes(store.pathOf(w.id()));
        store.delete(w.id());
        List<PackId> out = new ArrayList<>();
        for (long v : ids) {
            PackId id = new PackId(v);
            byte[] bytes = template.clone();
            // The header names the pack's id; rewrite it so reads of the copy check out.
            byte[] header = new byte[PackCodec.HEADER_SIZE];
            PackCodec.encodeHeader(id, header);
            System.arraycopy(header, 0, bytes, 0, header.length);
            Path p = store.pathOf(id);
            Files.createDirectories(p.getParent());
            Files.write(p, bytes);
            out.add(id);
        }
        return out;
    }

    @Test
    void deletingManyPacksOfOneDirectorySyncsThatDirectoryOnce() throws IOException {
        List<PackId> ids = packsWithIds(0x0100000000000001L, 0x0100000000000002L, 0x0100000000000003L,
                0x0100000000000004L, 0x0100000000000005L, 0x0100000000000006L, 0x0100000000000007L, 0x0100000000000008L);
        long before = store.deleteDirectorySyncs();

        store.deleteAll(ids);

        assertThat(store.deleteDirectorySyncs() - before).isEqualTo(1);
        for (PackId id : ids) {
            assertThat(store.pathOf(id)).doesNotExist();
        }
        assertThat(store.list()).isEmpty();
    }

    @Test
    void eachDirectoryThatLostAPackIsSyncedOnceAndMissingPacksAreSkipped() throws IOException {
        List<PackId> ids = packsWithIds(0x0100000000000001L, 0x0100000000000002L, 0x0200000000000001L,
                0x0200000000000002L, 0x0300000000000001L);
        List<PackId> request = new ArrayList<>(ids);
        request.add(new PackId(0x0400000000000001L)); // never existed
        request.add(ids.get(0)); // named twice
        long before = store.deleteDirectorySyncs();

        store.deleteAll(request);

        assertThat(store.deleteDirectorySyncs() - before).isEqualTo(3);
        assertThat(store.list()).isEmpty();
        store.deleteAll(ids); // all gone already: nothing to do, nothing to sync
        assertThat(store.deleteDirectorySyncs() - before).isEqualTo(3);
    }

    @Test
    void aPackBeingWrittenRefusesTheWholeBatchBeforeAnythingIsDeleted() throws IOException {
        List<PackId> ids = packsWithIds(0x0500000000000001L, 0x0500000000000002L);
        PackWriter open = store.create();
        List<PackId> request = new ArrayList<>(ids);
        request.add(open.id());

        assertThatThrownBy(() -> store.deleteAll(request)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(open.id().toString());
        for (PackId id : ids) {
            assertThat(store.pathOf(id)).exists();
        }
        open.close();
    }

    @Test
    void deletedPacksCannotBeReadAndTheOthersStillCan() throws IOException {
        List<PackId> ids = packsWithIds(0x0600000000000001L, 0x0600000000000002L, 0x0700000000000001L);
        PackIndex kept = store.readIndex(ids.get(2));
        PackIndex.Entry e = kept.entries().get(0);
        PackIndex.Entry gone = store.readIndex(ids.get(0)).entries().get(0);
        store.read(gone.location(), gone.id()); // caches its channel

        store.deleteAll(ids.subList(0, 2));

        assertThatThrownBy(() -> store.read(gone.location(), gone.id())).isInstanceOf(PackNotFoundException.class);
        assertThat(store.read(e.location(), e.id()).length()).isEqualTo(e.location().storedLength());
    }

    /**
     * The file deletion runs outside the channel cache's monitor: a read of another pack that
     * starts while a deletion is in progress completes, and the channel it opened is not cached
     * (it might be the pack being deleted). Before, the unlink ran under the monitor and the
     * read waited for it (here: forever, since the deletion waits for the read).
     */
    @Test
    void aReadOfAnotherPackIsNotHeldUpByADeletionInProgress() throws Exception {
        List<PackId> ids = packsWithIds(0x0800000000000001L, 0x0900000000000001L);
        PackIndex.Entry other = store.readIndex(ids.get(1)).entries().get(0);
        ChannelCache cache = new ChannelCache(8, id -> java.nio.channels.FileChannel.open(store.pathOf(id)));
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch readDone = new CountDownLatch(1);
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<?> deletion = ex.submit(() -> {
                cache.remove(ids.get(0), () -> {
                    deleting.countDown();
                    try {
                        if (!readDone.await(30, TimeUnit.SECONDS)) {
                            throw new IOException("the read did not complete while the deletion ran");
                        }
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                    Files.delete(store.pathOf(ids.get(0)));
                });
                return null;
            });
            assertThat(deleting.await(30, TimeUnit.SECONDS)).isTrue();
            try (ChannelCache.Handle h = cache.acquire(other.location().pack())) {
                assertThat(h.channel.size()).isPositive();
            }
            readDone.countDown();
            assertThat(cache.size()).isZero(); // opened during a removal: not cached
            deletion.get(30, TimeUnit.SECONDS);
            try (ChannelCache.Handle h = cache.acquire(other.location().pack())) {
                assertThat(h.channel.size()).isPositive();
            }
            assertThat(cache.size()).isEqualTo(1); // no removal running any more: cached
        } finally {
            readDone.countDown();
            ex.shutdownNow();
            cache.close();
        }
    }

    @Test
    void deleteOfOnePackSyncsItsDirectory() throws IOException {
        List<PackId> ids = packsWithIds(0x0a00000000000001L);
        long before = store.deleteDirectorySyncs();
        store.delete(ids.get(0));
        assertThat(store.deleteDirectorySyncs() - before).isEqualTo(1);
        Set<PackId> listed = new HashSet<>();
        store.list().forEach(p -> listed.add(p.id()));
        assertThat(listed).isEmpty();
    }
}
