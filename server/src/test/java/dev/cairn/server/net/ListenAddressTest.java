package dev.cairn.server.net;

import dev.cairn.protocol.HostPort;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The start-up line says what the socket is really bound to (issue 10 item 10). */
class ListenAddressTest {
    @Test
    void ipv4WildcardBoundAsDualStackIsSaidSo() throws Exception {
        String s = NetServer.describeBound(HostPort.parse("0.0.0.0:7433"),
                new InetSocketAddress(InetAddress.getByName("::"), 7433));
        assertThat(s).contains(":7433").contains("dual-stack: every IPv4 and IPv6 address")
                .contains("configured 0.0.0.0:7433");
    }

    @Test
    void otherAddressesAreNamedPlainly() throws Exception {
        assertThat(NetServer.describeBound(HostPort.parse("0.0.0.0:7433"),
                new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 7433)))
                .isEqualTo("0.0.0.0:7433 (every IPv4 address of this host)");
        assertThat(NetServer.describeBound(HostPort.parse("127.0.0.1:0"),
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 40001))).isEqualTo("127.0.0.1:40001");
    }
}
