package dev.cairn.store.pack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A FileChannel that forwards to a real one but fails on command: writes stop after a byte budget
 * (the write that crosses it puts part of its bytes, like a disk filling up mid-record), and
 * {@code force} can be made to fail.
 */
final class FaultyFileChannel extends FileChannel {
    private final FileChannel delegate;
    /** Bytes writes may still put before failing; negative = unlimited. */
    volatile long writeBudget = -1;
    volatile boolean failForce;
    /**
     * Free bytes of a simulated volume that several channels share (see {@link SmallVolume}):
     * growing a file takes from it, truncating gives back; null: no volume.
     */
    volatile java.util.concurrent.atomic.AtomicLong volume;

    FaultyFileChannel(FileChannel delegate) {
        this.delegate = delegate;
    }

    private int budget(ByteBuffer src) throws IOException {
        long b = writeBudget;
        if (b < 0) {
            return src.remaining();
        }
        if (b == 0) {
            throw new IOException("No space left on device");
        }
        return (int) Math.min(b, src.remaining());
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        int allowed = budget(src);
        var vol = volume;
        long before = vol == null ? 0 : delegate.size();
        if (vol != null) {
            long inPlace = Math.max(0, Math.min(allowed, before - position));
            long free = Math.max(0, vol.get());
            if (allowed - inPlace > free) {
                allowed = (int) (inPlace + free);
                if (allowed == 0) {
                    throw new IOException("No space left on device");
                }
            }
        }
        ByteBuffer part = src.slice().limit(allowed);
        int n = delegate.write(part, position);
        src.position(src.position() + n);
        if (writeBudget >= 0) {
            writeBudget -= n;
        }
        if (vol != null) {
            vol.addAndGet(-Math.max(0, position + n - before));
        }
        return n;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (failForce) {
            throw new IOException("Input/output error");
        }
        delegate.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        throw new UnsupportedOperationException("the pack layer only writes positionally");
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
        throw new UnsupportedOperationException("the pack layer only writes positionally");
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        long before = delegate.size();
        delegate.truncate(size);
        var vol = volume;
        if (vol != null && size < before) {
            vol.addAndGet(before - size);
        }
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
        throw new UnsupportedOperationException();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        return delegate.read(dst, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
