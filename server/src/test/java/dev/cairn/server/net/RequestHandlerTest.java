package dev.cairn.server.net;

import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 10 item 4: an out-of-memory failure of a connection is told apart from a peer's reset. */
class RequestHandlerTest {
    @Test
    void outOfMemoryIsFoundInTheCauseChain() {
        OutOfMemoryError oom = new OutOfMemoryError("Cannot reserve 16777216 bytes of direct buffer memory");
        assertThat(RequestHandler.outOfMemory(new DecoderException(oom))).isSameAs(oom);
        assertThat(RequestHandler.outOfMemory(oom)).isSameAs(oom);
        assertThat(RequestHandler.outOfMemory(new IOException("Connection reset by peer"))).isNull();
        assertThat(RequestHandler.outOfMemory(null)).isNull();
    }
}
