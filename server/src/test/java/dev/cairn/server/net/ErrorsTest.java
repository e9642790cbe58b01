package dev.cairn.server.net;

import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.store.pack.CorruptPackException;
import dev.cairn.store.pack.PackId;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Issue 10 item 8: damaged pack bytes are CORRUPT for clients, not IO_ERROR. */
class ErrorsTest {
    @Test
    void corruptPackIsCorruptEvenWhenWrapped() {
        CorruptPackException e = CorruptPackException.mismatch(new PackId(0x1234), 2000, "record CRC32C", "0x1", "0x2");
        assertThat(Errors.toReply(e, "get").code()).isEqualTo(Status.CORRUPT.code());
        assertThat(Errors.toReply(new CompletionException(e), "get").code()).isEqualTo(Status.CORRUPT.code());
        assertThat(Errors.toReply(e, "get").message()).contains("0000000000001234").contains("offset 2000");
    }

    @Test
    void otherIoErrorsStayIoErrors() {
        assertThat(Errors.toReply(new IOException("disk on fire"), "get").code()).isEqualTo(Status.IO_ERROR.code());
        assertThat(Errors.toReply(new CairnException(Status.CORRUPT, "x"), "get").code()).isEqualTo(Status.CORRUPT.code());
    }
}
