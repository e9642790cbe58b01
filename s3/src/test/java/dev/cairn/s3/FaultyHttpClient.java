package dev.cairn.s3;

import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Fault injection below the SDK's retries: wraps the real HTTP client and, for requests matching
 * a rule, answers 503 SlowDown or 500 InternalError without sending, resets the connection,
 * hangs until the SDK's attempt timeout aborts the call, or sends the request and then reports a
 * 500 (the server did it, the client cannot know). Rules are consulted in order; the first one
 * that matches and fires decides. Thread-safe.
 */
final class FaultyHttpClient implements SdkHttpClient {

    /** What a fault does. */
    enum Fault { SLOW_DOWN_503, INTERNAL_500, RESET, HANG, SEND_THEN_500 }

    /** The S3 operations, told apart by method and query. */
    enum Op {
        PUT, UPLOAD_PART, CREATE_MULTIPART, COMPLETE_MULTIPART, ABORT_MULTIPART, LIST_MULTIPART, GET, HEAD, LIST,
        DELETE_OBJECTS, OTHER;

        static Op of(SdkHttpRequest r) {
            var q = r.rawQueryParameters();
            SdkHttpMethod m = r.method();
            if (m == SdkHttpMethod.PUT) {
                return q.containsKey("partNumber") ? UPLOAD_PART : PUT;
            }
            if (m == SdkHttpMethod.POST) {
                return q.containsKey("uploads") ? CREATE_MULTIPART : q.containsKey("uploadId") ? COMPLETE_MULTIPART
                        : q.containsKey("delete") ? DELETE_OBJECTS : OTHER;
            }
            if (m == SdkHttpMethod.DELETE) {
                return q.containsKey("uploadId") ? ABORT_MULTIPART : OTHER;
            }
            if (m == SdkHttpMethod.HEAD) {
                return HEAD;
            }
            if (m == SdkHttpMethod.GET) {
                return q.containsKey("uploads") ? LIST_MULTIPART : q.containsKey("list-type") ? LIST : GET;
            }
            return OTHER;
        }
    }

    /** Fires {@code fault} for requests matching {@code when}, {@code times} times (-1: always), with probability {@code p}. */
    static final class Rule {
        final Predicate<SdkHttpRequest> when;
        final Fault fault;
        final double p;
        final AtomicLong left;

        Rule(Predicate<SdkHttpRequest> when, Fault fault, double p, long times) {
            this.when = when;
            this.fault = fault;
            this.p = p;
            this.left = new AtomicLong(times);
        }
    }

    private final SdkHttpClient delegate;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final Random random;
    final AtomicLong injected = new AtomicLong();

    FaultyHttpClient(SdkHttpClient delegate, long seed) {
        this.delegate = delegate;
        this.random = new Random(seed);
    }

    static Predicate<SdkHttpRequest> op(Op... ops) {
        List<Op> l = List.of(ops);
        return r -> l.contains(Op.of(r));
    }

    static Predicate<SdkHttpRequest> any() {
        return r -> true;
    }

    FaultyHttpClient add(Predicate<SdkHttpRequest> when, Fault f, double p, long times) {
        rules.add(new Rule(when, f, p, times));
        return this;
    }

    /** Every matching request fails the same way, forever. */
    FaultyHttpClient always(Predicate<SdkHttpRequest> when, Fault f) {
        return add(when, f, 1.0, -1);
    }

    /** The next {@code n} matching requests fail. */
    FaultyHttpClient next(Predicate<SdkHttpRequest> when, Fault f, long n) {
        return add(when, f, 1.0, n);
    }

    void clear() {
        rules.clear();
    }

    private Fault decide(SdkHttpRequest r) {
        for (Rule rule : rules) {
            if (!rule.when.test(r)) {
                continue;
            }
            synchronized (random) {
                if (rule.p < 1.0 && random.nextDouble() >= rule.p) {
                    continue;
                }
            }
            long left = rule.left.get();
            if (left == 0) {
                continue;
            }
            if (left > 0 && !rule.left.compareAndSet(left, left - 1)) {
                continue;
            }
            injected.incrementAndGet();
            return rule.fault;
        }
        return null;
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
        Fault f = decide(request.httpRequest());
        if (f == null) {
            return delegate.prepareRequest(request);
        }
        return switch (f) {
            case SLOW_DOWN_503 -> canned(503, "SlowDown", "Please reduce your request rate.");
            case INTERNAL_500 -> canned(500, "InternalError", "We encountered an internal error. Please try again.");
            case RESET -> new Fake(() -> {
                throw new SocketException("Connection reset (injected)");
            });
            case HANG -> new Fake(() -> {
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("hung request aborted (injected)");
            });
            case SEND_THEN_500 -> {
                ExecutableHttpRequest real = delegate.prepareRequest(request);
                yield new Fake(() -> {
                    HttpExecuteResponse r = real.call();
                    r.responseBody().ifPresent(b -> {
                        try {
                            b.readAllBytes();
                            b.close();
                        } catch (IOException ignored) {
                            // the response is thrown away anyway
                        }
                    });
                    return error(500, "InternalError", "The request was processed, but the answer is lost (injected).");
                }) {
                    @Override
                    public void abort() {
                        real.abort();
                    }
                };
            }
        };
    }

    private static ExecutableHttpRequest canned(int status, String code, String message) {
        return new Fake(() -> error(status, code, message));
    }

    private static HttpExecuteResponse error(int status, String code, String message) {
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + message
                + "</Message><RequestId>injected</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        SdkHttpFullResponse resp = SdkHttpFullResponse.builder().statusCode(status)
                .putHeader("Content-Type", "application/xml")
                .putHeader("Content-Length", String.valueOf(body.length))
                .build();
        return HttpExecuteResponse.builder().response(resp)
                .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body))).build();
    }

    /** A request answered by the fault instead of the network. */
    private static class Fake implements ExecutableHttpRequest {
        interface Body {
            HttpExecuteResponse call() throws IOException;
        }

        private final Body body;
        private volatile Thread runner;

        Fake(Body body) {
            this.body = body;
        }

        @Override
        public HttpExecuteResponse call() throws IOException {
            runner = Thread.currentThread();
            try {
                return body.call();
            } finally {
                runner = null;
            }
        }

        @Override
        public void abort() {
            Thread t = runner;
            if (t != null) {
                t.interrupt();
            }
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
