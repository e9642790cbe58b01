package dev.cairn.s3;

import dev.cairn.store.pack.PackId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Uploads a sealed local pack file as its object and proves it arrived: one PUT below the
 * multipart threshold, otherwise a multipart upload with parts sent in parallel. Every request
 * carries the Content-MD5 of its bytes; the part ETags and the object's final size and ETag are
 * compared with what the local file gives. Only when that holds is the pack durable in the bucket
 * (docs/S3.md, "Durability"). A failed multipart upload is aborted, so no parts are left behind.
 *
 * <p>Thread-safe; uploads of different packs may run concurrently.
 */
final class PackUploader {
    private static final Logger log = LoggerFactory.getLogger(PackUploader.class);

    private final Bucket bucket;
    private final long multipartThreshold;
    private final long partBytes;
    private final ExecutorService parts;

    PackUploader(Bucket bucket, long multipartThreshold, long partBytes, ExecutorService parts) {
        this.bucket = bucket;
        this.multipartThreshold = multipartThreshold;
        this.partBytes = partBytes;
        this.parts = parts;
    }

    /**
     * Uploads {@code file} as pack {@code id} under {@code key} and verifies the object.
     *
     * @return the object's size (the file's)
     * @throws IOException if the upload failed after retries or the object does not match the file
     */
    long upload(PackId id, String key, Path file) throws IOException {
        long size = Files.size(file);
        String expected = size < multipartThreshold ? putWhole(key, file, size) : putInParts(key, file, size);
        Bucket.ObjectInfo o = bucket.head(key);
        if (o == null || o.size() != size) {
            throw new IOException("uploaded pack " + id + " but the bucket " + (o == null ? "does not have it"
                    : "has " + o.size() + " bytes instead of " + size) + " (" + key + ")");
        }
        if (o.etag() != null && !o.etag().equalsIgnoreCase(expected)) {
            throw new IOException("uploaded pack " + id + " but the object's ETag " + o.etag() + " is not the "
                    + expected + " its bytes give (" + key + ")");
        }
        return size;
    }

    private String putWhole(String key, Path file, long size) throws IOException {
        byte[] md5 = Hashes.ofFile("MD5", file, 0, size);
        String expected = Hashes.etagOf(md5);
        String etag = bucket.put(key, file, 0, size, md5, false);
        if (etag != null && !etag.equalsIgnoreCase(expected)) {
            throw new IOException("PUT " + key + " answered ETag " + etag + ", expected " + expected);
        }
        return expected;
    }

    private String putInParts(String key, Path file, long size) throws IOException {
        String uploadId = bucket.startMultipart(key);
        int count = (int) ((size + partBytes - 1) / partBytes);
        List<Future<byte[]>> running = new ArrayList<>(count);
        List<String> etags = new ArrayList<>(count);
        List<byte[]> md5s = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                int number = i + 1;
                long off = i * partBytes;
                long len = Math.min(partBytes, size - off);
                running.add(parts.submit(() -> part(key, uploadId, number, file, off, len, etags)));
            }
            for (Future<byte[]> f : running) {
                md5s.add(await(f));
            }
            List<String> ordered = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ordered.add(null);
            }
            synchronized (etags) {
                for (String e : etags) {
                    int sep = e.indexOf(' ');
                    ordered.set(Integer.parseInt(e.substring(0, sep)) - 1, e.substring(sep + 1));
                }
            }
            try {
                bucket.completeMultipart(key, uploadId, ordered);
            } catch (BucketException e) {
                // A retried Complete of an upload that did complete gets NoSuchUpload (404):
                // whether the object is there and right, the verification in upload() decides.
                if (e.status() != 404) {
                    throw e;
                }
            }
            return Hashes.multipartEtagOf(md5s);
        } catch (IOException | RuntimeException e) {
            running.forEach(f -> f.cancel(true));
            try {
                bucket.abortMultipart(key, uploadId);
            } catch (IOException suppressed) {
                // Left for the next open, which aborts this store's stale uploads (the key carries its id).
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private byte[] part(String key, String uploadId, int number, Path file, long off, long len, List<String> etags)
            throws IOException {
        byte[] md5 = Hashes.ofFile("MD5", file, off, len);
        String etag = bucket.uploadPart(key, uploadId, number, file, off, len, md5);
        String expected = Hashes.etagOf(md5);
        if (etag != null && !etag.equalsIgnoreCase(expected)) {
            throw new IOException("part " + number + " of " + key + " answered ETag " + etag + ", expected " + expected);
        }
        synchronized (etags) {
            etags.add(number + " " + (etag == null ? expected : etag));
        }
        log.trace("uploaded part {} of {} ({} bytes)", number, key, len);
        return md5;
    }

    private static byte[] await(Future<byte[]> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while uploading");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException("uploading a part failed: " + c, c);
        }
    }
}
