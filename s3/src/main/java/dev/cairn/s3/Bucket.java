package dev.cairn.s3;

import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The object-store operations Cairn uses, on one bucket: the only class that calls the SDK.
 * Every failure becomes a {@link BucketException} (after the SDK's retries, see {@link S3Clients})
 * naming operation, key and status; a missing object is a return value, not an exception.
 *
 * <p>Thread-safe (the SDK client is). Owns the client: {@link #close()} closes it.
 */
public final class Bucket implements Closeable {
    /** S3 deletes at most this many keys per DeleteObjects request. */
    public static final int DELETE_BATCH = 1000;

    private final S3Client s3;
    private final String bucket;
    private final RequestCounter counter;
    private final WriteFence fence;

    public Bucket(S3Client s3, String bucket, RequestCounter counter) {
        this(s3, bucket, counter, new WriteFence());
    }

    private Bucket(S3Client s3, String bucket, RequestCounter counter, WriteFence fence) {
        this.s3 = s3;
        this.bucket = bucket;
        this.counter = counter;
        this.fence = fence;
    }

    /** Opens the bucket of {@code s}; {@code wrapper} may decorate the HTTP client (fault tests). */
    public static Bucket open(S3Settings s, java.util.function.UnaryOperator<software.amazon.awssdk.http.SdkHttpClient> wrapper) {
        RequestCounter c = new RequestCounter();
        WriteFence f = new WriteFence();
        return new Bucket(S3Clients.create(s, wrapper, c, f), s.bucket(), c, f);
    }

    /** The fence every write request of this bucket's client passes (see {@link WriteFence}). */
    public WriteFence fence() {
        return fence;
    }

    /**
     * The last check before the SDK sends a write (PUT, part upload, multipart create, complete
     * and abort, DeleteObjects), run for every attempt, retries included: once a
     * {@link PrefixOwner}'s lease guards the bucket, an attempt is refused unless the lease allows
     * writes at that moment, so a retry loop that outlives the lease sends nothing. Writes of the
     * owner object itself (the lease's renewal) pass. Unguarded (a bucket without a lease, or
     * before the claim) everything passes. Thread-safe.
     */
    public static final class WriteFence implements software.amazon.awssdk.core.interceptor.ExecutionInterceptor {
        private volatile java.util.function.BooleanSupplier mayWrite;
        private volatile String exempt;
        private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();

        /** From now on, writes other than of {@code exemptKey} are sent only while {@code mayWrite} says so. */
        void guard(String exemptKey, java.util.function.BooleanSupplier mayWrite) {
            this.exempt = exemptKey;
            this.mayWrite = mayWrite;
        }

        /** Write attempts refused so far. */
        public long refused() {
            return refused.sum();
        }

        @Override
        public void beforeTransmission(software.amazon.awssdk.core.interceptor.Context.BeforeTransmission context,
                                       software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            java.util.function.BooleanSupplier m = mayWrite;
            if (m == null || m.getAsBoolean()) {
                return;
            }
            software.amazon.awssdk.core.SdkRequest r = context.request();
            boolean write = r instanceof PutObjectRequest || r instanceof DeleteObjectsRequest
                    || r instanceof UploadPartRequest || r instanceof CreateMultipartUploadRequest
                    || r instanceof CompleteMultipartUploadRequest || r instanceof AbortMultipartUploadRequest
                    || r instanceof software.amazon.awssdk.services.s3.model.DeleteObjectRequest
                    || r instanceof software.amazon.awssdk.services.s3.model.CopyObjectRequest;
            if (!write || (r instanceof PutObjectRequest p && p.key().equals(exempt))) {
                return;
            }
            refused.increment();
            // Not retryable: the lease decides, not a transient fault.
            throw SdkClientException.builder().message("write fenced: this store's lease on the prefix has lapsed or"
                    + " was lost, so the request is not sent").build();
        }
    }

    public String name() {
        return bucket;
    }

    /** Requests sent so far, retries included. */
    public RequestCounter requests() {
        return counter;
    }

    /** An object: key, size and ETag (quoted as the service sent it). */
    public record ObjectInfo(String key, long size, String etag) {
    }

    /** Size and ETag of {@code key}, or null if it does not exist. */
    public ObjectInfo head(String key) throws BucketException {
        try {
            HeadObjectResponse r = s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build());
            return new ObjectInfo(key, r.contentLength(), r.eTag());
        } catch (SdkException e) {
            if (status(e) == 404) {
                return null;
            }
            throw fail("HEAD", key, e);
        }
    }

    /** Every object whose key starts with {@code prefix}, in key order. */
    public List<ObjectInfo> list(String prefix) throws BucketException {
        List<ObjectInfo> out = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                    .build()).contents()) {
                out.add(new ObjectInfo(o.key(), o.size(), o.eTag()));
            }
        } catch (SdkException e) {
            throw fail("LIST", prefix, e);
        }
        return out;
    }

    /**
     * Uploads {@code length} bytes of {@code file} from {@code offset} as one object, with their
     * Content-MD5 (the service rejects a body that arrived damaged). Returns the ETag.
     *
     * @param ifNoneMatch only create the object if the key is free (412 otherwise)
     */
    public String put(String key, Path file, long offset, long length, byte[] md5, boolean ifNoneMatch)
            throws BucketException {
        PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentLength(length).contentMD5(Base64.getEncoder().encodeToString(md5));
        if (ifNoneMatch) {
            b.ifNoneMatch("*");
        }
        try {
            return s3.putObject(b.build(), body(file, offset, length)).eTag();
        } catch (SdkException e) {
            throw fail("PUT", key, e);
        }
    }

    /** Uploads a small object from memory; see {@link #put(String, Path, long, long, byte[], boolean)}. */
    public String put(String key, byte[] data, boolean ifNoneMatch) throws BucketException {
        PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentLength((long) data.length).contentMD5(Base64.getEncoder().encodeToString(Hashes.md5(data)));
        if (ifNoneMatch) {
            b.ifNoneMatch("*");
        }
        try {
            return s3.putObject(b.build(), RequestBody.fromBytes(data)).eTag();
        } catch (SdkException e) {
            throw fail("PUT", key, e);
        }
    }

    /**
     * Replaces {@code key} only if its current ETag is {@code etag} (a compare-and-swap:
     * {@code If-Match}); a 412 {@link BucketException} if the object changed or is gone. Returns
     * the new ETag. The lease of {@link PrefixOwner} is renewed with it.
     */
    public String putIfMatch(String key, byte[] data, String etag) throws BucketException {
        PutObjectRequest r = PutObjectRequest.builder().bucket(bucket).key(key).ifMatch(etag)
                .contentLength((long) data.length).contentMD5(Base64.getEncoder().encodeToString(Hashes.md5(data)))
                .build();
        try {
            return s3.putObject(r, RequestBody.fromBytes(data)).eTag();
        } catch (SdkException e) {
            throw fail("PUT", key, e);
        }
    }

    /** A small object's bytes and ETag. */
    public record Versioned(byte[] data, String etag) {
    }

    /** The whole of a small object with its ETag, or null if it does not exist. */
    public Versioned getVersioned(String key) throws BucketException {
        try {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key)
                    .build());
            return new Versioned(r.asByteArrayUnsafe(), r.response().eTag());
        } catch (SdkException e) {
            if (status(e) == 404) {
                return null;
            }
            throw fail("GET", key, e);
        }
    }

    /**
     * Bytes {@code [offset, offset + length)} of {@code key} (one ranged GET, retried as a whole),
     * or null if the object does not exist.
     *
     * @throws BucketException also if the object is shorter than the range asks for
     */
    public byte[] get(String key, long offset, int length) throws BucketException {
        if (length == 0) {
            return new byte[0];
        }
        try {
            ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key)
                    .range("bytes=" + offset + "-" + (offset + length - 1)).build());
            byte[] b = r.asByteArrayUnsafe();
            if (b.length != length) {
                throw new BucketException("GET " + key + " bytes " + offset + "+" + length + " returned " + b.length
                        + " bytes", 200, null);
            }
            return b;
        } catch (SdkException e) {
            if (status(e) == 404) {
                return null;
            }
            throw fail("GET", key, e);
        }
    }

    /** The whole of a small object, or null if it does not exist. */
    public byte[] get(String key) throws BucketException {
        try {
            return s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(key).build()).asByteArrayUnsafe();
        } catch (SdkException e) {
            if (status(e) == 404) {
                return null;
            }
            throw fail("GET", key, e);
        }
    }

    /**
     * Deletes keys, {@value #DELETE_BATCH} per request. Deleting a missing key succeeds (S3
     * semantics), so a retried or repeated delete is harmless.
     *
     * @throws BucketException if the service refused any key (all keys are attempted first)
     */
    public void delete(List<String> keys) throws BucketException {
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
            List<ObjectIdentifier> ids = new ArrayList<>();
            for (String k : keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH))) {
                ids.add(ObjectIdentifier.builder().key(k).build());
            }
            try {
                DeleteObjectsResponse r = s3.deleteObjects(DeleteObjectsRequest.builder().bucket(bucket)
                        .delete(Delete.builder().objects(ids).quiet(true).build()).build());
                for (S3Error e : r.errors()) {
                    if (!"NoSuchKey".equals(e.code())) {
                        refused.add(e.key() + " (" + e.code() + ": " + e.message() + ")");
                    }
                }
            } catch (SdkException e) {
                throw fail("DELETE", keys.get(i) + " and " + (ids.size() - 1) + " more", e);
            }
        }
        if (!refused.isEmpty()) {
            throw new BucketException("DELETE refused for " + refused.size() + " keys, e.g. " + refused.get(0), 0, null);
        }
    }

    /** Starts a multipart upload and returns its id. */
    public String startMultipart(String key) throws BucketException {
        try {
            return s3.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket).key(key).build())
                    .uploadId();
        } catch (SdkException e) {
            throw fail("CREATE-MULTIPART", key, e);
        }
    }

    /** Uploads part {@code number} (1-based) from a file range with its Content-MD5; returns the part's ETag. */
    public String uploadPart(String key, String uploadId, int number, Path file, long offset, long length, byte[] md5)
            throws BucketException {
        try {
            return s3.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                    .partNumber(number).contentLength(length).contentMD5(Base64.getEncoder().encodeToString(md5)).build(),
                    body(file, offset, length)).eTag();
        } catch (SdkException e) {
            throw fail("UPLOAD-PART " + number + " of", key, e);
        }
    }

    /** Completes a multipart upload from its parts' ETags (index i = part i + 1); returns the object's ETag. */
    public String completeMultipart(String key, String uploadId, List<String> partEtags) throws BucketException {
        List<CompletedPart> parts = new ArrayList<>();
        for (int i = 0; i < partEtags.size(); i++) {
            parts.add(CompletedPart.builder().partNumber(i + 1).eTag(partEtags.get(i)).build());
        }
        try {
            return s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
                    .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build())
                    .eTag();
        } catch (SdkException e) {
            throw fail("COMPLETE-MULTIPART", key, e);
        }
    }

    /** Aborts a multipart upload; its parts are discarded. */
    public void abortMultipart(String key, String uploadId) throws BucketException {
        try {
            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId).build());
        } catch (SdkException e) {
            if (status(e) == 404) {
                return; // already gone
            }
            throw fail("ABORT-MULTIPART", key, e);
        }
    }

    /** A multipart upload in progress: key and id. */
    public record Upload(String key, String uploadId) {
    }

    /** Multipart uploads in progress under {@code prefix} (first 1000). */
    public List<Upload> multipartUploads(String prefix) throws BucketException {
        List<Upload> out = new ArrayList<>();
        try {
            for (MultipartUpload u : s3.listMultipartUploads(ListMultipartUploadsRequest.builder().bucket(bucket)
                    .prefix(prefix).build()).uploads()) {
                out.add(new Upload(u.key(), u.uploadId()));
            }
        } catch (SdkException e) {
            throw fail("LIST-MULTIPART", prefix, e);
        }
        return out;
    }

    /** A body that re-reads the file range for every attempt, so retries send the same bytes. */
    private static RequestBody body(Path file, long offset, long length) {
        ContentStreamProvider p = () -> {
            try {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                ch.position(offset);
                InputStream in = Channels.newInputStream(ch);
                return new BoundedInputStream(in, length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        return RequestBody.fromContentProvider(p, length, "application/octet-stream");
    }

    static int status(SdkException e) {
        return e instanceof S3Exception s ? s.statusCode() : 0;
    }

    private static BucketException fail(String op, String key, SdkException e) {
        int status = status(e);
        String code = e instanceof S3Exception s && s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode() : null;
        String msg = op.toUpperCase(Locale.ROOT) + " " + key + " failed"
                + (status > 0 ? " with HTTP " + status + (code == null ? "" : " " + code) : "")
                + ": " + e.getMessage();
        return new BucketException(msg, status, e);
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return "Bucket[" + bucket + "]";
    }

    /** At most {@code limit} bytes of an input stream; closing closes the source. */
    private static final class BoundedInputStream extends java.io.FilterInputStream {
        private long left;

        BoundedInputStream(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(Math.min(n, left));
            left -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(super.available(), left);
        }
    }
}
