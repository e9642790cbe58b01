package dev.cairn.server.net;

import dev.cairn.protocol.chunk.ChunkCodec;
import dev.cairn.protocol.chunk.ChunkId;
import dev.cairn.protocol.chunk.EncodedChunk;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.wire.Envelope;
import dev.cairn.protocol.wire.FrameDecoder;
import dev.cairn.protocol.wire.Limits;
import dev.cairn.protocol.wire.Message;
import dev.cairn.protocol.wire.Wire;
import dev.cairn.server.DaemonFixture;
import dev.cairn.server.config.DaemonConfig;
import dev.cairn.server.metrics.Metrics;
import dev.cairn.server.tenant.TenantRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reading stops when a connection has too much work queued and resumes when it drains: the
 * worker pool is replaced by one the test runs by hand, so requests stay "in flight" at will.
 */
class BackpressureTest {
    @TempDir
    Path dir;
    TenantRegistry tenants;
    ManualPool pool = new ManualPool();

    /** Runs submitted tasks only when told to. */
    static final class ManualPool extends AbstractExecutorService {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runOne() {
            tasks.poll().run();
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                runOne();
            }
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long t, TimeUnit u) {
            return true;
        }
    }

    @BeforeEach
    void open() throws Exception {
        tenants = TenantRegistry.open(DaemonFixture.config(dir));
    }

    @AfterEach
    void close() throws Exception {
        tenants.close();
    }

    private EmbeddedChannel channel(int maxInFlight, long maxBytes, long maxBytesTotal) {
        Limits l = Limits.defaults();
        Limits wire = new Limits(l.maxFrame(), l.maxHaveIds(), l.maxUploadChunks(), l.maxRefs(), l.maxSessions(),
                maxInFlight, l.maxPatchBytes(), l.idleTimeoutSeconds(), l.compression());
        DaemonConfig.ServerLimits limits = new DaemonConfig.ServerLimits(wire, maxBytes, maxBytesTotal, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(1), 1);
        ServerContext ctx = new ServerContext(limits, tenants, new Metrics(), pool, "test");
        FrameDecoder frames = new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME);
        EmbeddedChannel ch = new EmbeddedChannel(new RequestHandler(ctx, frames));
        ch.writeInbound(Envelope.of(1, new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, "", "bp")));
        assertThat(((Envelope) ch.readOutbound()).message()).isInstanceOf(Message.HelloOk.class);
        return ch;
    }

    private static Message have(int i) {
        return new Message.Have(List.of(ChunkId.of(new byte[] {(byte) i}, 0, 1)));
    }

    @Test
    void tooManyRequestsInFlightStopReadingUntilHalfAreAnswered() {
        EmbeddedChannel ch = channel(4, 64L << 20, 512L << 20);
        for (int i = 0; i < 3; i++) {
            ch.writeInbound(Envelope.of(10 + i, have(i)));
        }
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.writeInbound(Envelope.of(13, have(3)));
        assertThat(ch.config().isAutoRead()).as("4 in flight: stop reading").isFalse();
        pool.runOne();
        assertThat(ch.config().isAutoRead()).as("3 in flight").isFalse();
        pool.runOne();
        assertThat(ch.config().isAutoRead()).as("2 in flight: half drained, read again").isTrue();
        pool.runAll();
        int answers = 0;
        Object o;
        while ((o = ch.readOutbound()) != null) {
            assertThat(((Envelope) o).message()).isInstanceOf(Message.HaveOk.class);
            answers++;
        }
        assertThat(answers).isEqualTo(4);
    }

    @Test
    void uploadBytesInFlightStopReading() throws Exception {
        EmbeddedChannel ch = channel(100, 4L << 20, 512L << 20);
        ch.writeInbound(Envelope.of(2, new Message.BeginPut(0, CheckpointMeta.of("bp", Instant.EPOCH), List.of(), null,
                false)));
        pool.runAll();
        int session = ((Message.BeginPutOk) ((Envelope) ch.readOutbound()).message()).session();
        byte[] raw = new byte[5000];
        List<Message.WireChunk> chunks = new java.util.ArrayList<>();
        for (int i = 0; i < 450; i++) { // 450 x 5000 raw bytes: ~2.3 MB of payload per UPLOAD
            raw[0] = (byte) i;
            raw[1] = (byte) (i >> 8);
            byte[] copy = raw.clone();
            chunks.add(new Message.WireChunk(ChunkId.of(copy, 0, copy.length),
                    new EncodedChunk(ChunkCodec.RAW, copy.length, copy, 0, copy.length)));
        }
        ch.writeInbound(Envelope.of(3, new Message.Upload(session, chunks)));
        assertThat(ch.config().isAutoRead()).isTrue();
        ch.writeInbound(Envelope.of(4, new Message.Upload(session, chunks)));
        assertThat(ch.config().isAutoRead()).as("4.5 MB of uploads waiting").isFalse();
        pool.runAll();
        assertThat(ch.config().isAutoRead()).isTrue();
        Message first = ((Envelope) ch.readOutbound()).message();
        Message second = ((Envelope) ch.readOutbound()).message();
        assertThat(((Message.UploadOk) first).stored()).isEqualTo(450);
        assertThat(((Message.UploadOk) second).present()).isEqualTo(450);
    }

    @Test
    void theGlobalBudgetPausesAConnectionUntilOthersDrain() {
        Limits l = Limits.defaults();
        DaemonConfig.ServerLimits limits = new DaemonConfig.ServerLimits(l, 4L << 20, 4L << 20, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(1), 1);
        ServerContext shared = new ServerContext(limits, tenants, new Metrics(), pool, "test");
        EmbeddedChannel x = new EmbeddedChannel(new RequestHandler(shared, new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME)));
        EmbeddedChannel y = new EmbeddedChannel(new RequestHandler(shared, new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME)));
        int[] sessions = new int[2];
        int k = 0;
        for (EmbeddedChannel c : List.of(x, y)) {
            c.writeInbound(Envelope.of(1, new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, "", "g")));
            c.readOutbound();
            c.writeInbound(Envelope.of(2, new Message.BeginPut(0, CheckpointMeta.of("g", Instant.EPOCH), List.of(),
                    null, false)));
            pool.runAll();
            sessions[k++] = ((Message.BeginPutOk) ((Envelope) c.readOutbound()).message()).session();
        }
        x.writeInbound(Envelope.of(3, new Message.Upload(sessions[0], List.of(chunk(3 << 20, 1)))));
        assertThat(x.config().isAutoRead()).as("3 MiB of 4 MiB").isTrue();
        y.writeInbound(Envelope.of(3, new Message.Upload(sessions[1], List.of(chunk(2 << 20, 2)))));
        assertThat(y.config().isAutoRead()).as("5 MiB over all connections: the one that went over waits").isFalse();
        assertThat(shared.budget.used()).isGreaterThan(5L << 20);
        pool.runAll();
        assertThat(shared.budget.used()).isZero();
        assertThat(y.config().isAutoRead()).as("resumed when the budget drained").isTrue();
        assertThat(x.config().isAutoRead()).isTrue();
    }

    /** UPLOAD's frame header announcing a frame of {@code length}, then {@code extra} payload bytes. */
    private static io.netty.buffer.ByteBuf partialUpload(int length, int extra) {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
        b.writeInt(length).writeByte(dev.cairn.protocol.wire.Opcode.UPLOAD).writeInt(7).writeByte(Wire.FLAG_LAST);
        b.writeZero(extra);
        return b;
    }

    private EmbeddedChannel wired(ServerContext shared) {
        FrameDecoder frames = new FrameDecoder(Wire.HANDSHAKE_MAX_FRAME);
        EmbeddedChannel c = new EmbeddedChannel(frames, new dev.cairn.protocol.wire.MessageCodecHandler(),
                new RequestHandler(shared, frames));
        c.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(dev.cairn.protocol.wire.MessageCodec.encode(
                Envelope.of(1, new Message.Hello(1, 1, Wire.MIN_MAX_FRAME, "", "f")))));
        io.netty.util.ReferenceCountUtil.release(c.readOutbound());
        return c;
    }

    @Test
    void aFrameBeingReceivedHoldsTheBudgetsUntilItEndsOrItsConnectionCloses() {
        DaemonConfig.ServerLimits limits = new DaemonConfig.ServerLimits(Limits.defaults(), 4L << 20, 8L << 20, 100,
                Duration.ofSeconds(10), Duration.ofSeconds(1), 1);
        Metrics metrics = new Metrics();
        ServerContext shared = new ServerContext(limits, tenants, metrics, pool, "test");
        GlobalBudget tenant = shared.tenantBudget(tenants.all().iterator().next());
        EmbeddedChannel x = wired(shared);
        assertThat(shared.handshakeBudget.used()).as("the HELLO's reservation returned").isZero();
        long frame = (5 << 20) + Wire.LENGTH_FIELD;
        x.writeInbound(partialUpload(5 << 20, 1000));
        assertThat(shared.budget.used()).isEqualTo(frame);
        assertThat(tenant.used()).isEqualTo(frame);
        assertThat(metrics.bufferedFrameBytes.get()).isEqualTo(frame);

        EmbeddedChannel y = wired(shared);
        y.writeInbound(partialUpload(5 << 20, 1000));
        assertThat(y.config().isAutoRead()).as("10 MiB announced, 8 MiB budget: y is not read").isFalse();
        assertThat(shared.budget.used()).isEqualTo(frame);

        x.close();
        assertThat(y.config().isAutoRead()).as("x's reservation returned: y reads again").isTrue();
        assertThat(shared.budget.used()).isEqualTo(frame);
        // Never both 5 MiB frames at once (y's HELLO of a few bytes came on top of x's frame).
        assertThat(metrics.bufferedFrameBytesPeak.get()).isLessThan(2 * frame).isLessThanOrEqualTo(8L << 20);

        // y's frame ends: the reservation becomes the request's in-flight weight, then is released.
        y.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(new byte[(5 << 20) - 6 - 1000]));
        assertThat(metrics.bufferedFrameBytes.get()).isZero();
        pool.runAll();
        assertThat(shared.budget.used()).isZero();
        assertThat(tenant.used()).isZero();
        y.close();
    }

    private static Message.WireChunk chunk(int n, int seed) {
        byte[] b = new byte[n];
        b[0] = (byte) seed;
        return new Message.WireChunk(ChunkId.of(b, 0, n), new EncodedChunk(ChunkCodec.RAW, n, b, 0, n));
    }
}
