package dev.cairn.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {
    @ParameterizedTest
    @CsvSource({"127.0.0.1:7433,127.0.0.1,7433", "' localhost:0 ',localhost,0", "[::1]:9,::1,9",
            "cairn.example.org:65535,cairn.example.org,65535"})
    void parsesAndPrintsBack(String text, String host, int port) {
        HostPort a = HostPort.parse(text);
        assertThat(a).isEqualTo(new HostPort(host, port));
        assertThat(HostPort.parse(a.toString())).isEqualTo(a);
    }

    @Test
    void bracketsAnIpv6HostWhenPrinted() {
        assertThat(new HostPort("::1", 7433)).hasToString("[::1]:7433");
        assertThat(HostPort.of(new InetSocketAddress("127.0.0.1", 80))).hasToString("127.0.0.1:80");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7433", ":7433", "host:", "host"})
    void refusesTextWithoutHostAndPort(String text) {
        assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not HOST:PORT");
    }

    @Test
    void refusesABadPort() {
        assertThatThrownBy(() -> HostPort.parse("h:http")).hasMessageContaining("has no numeric port");
        assertThatThrownBy(() -> HostPort.parse("h:65536")).hasMessageContaining("port 65536 is outside 0..65535");
        assertThatThrownBy(() -> HostPort.parse("h:-1")).hasMessageContaining("outside 0..65535");
    }

    @Test
    void loopbackMeansOnlyLoopbackAddresses() {
        assertThat(HostPort.parse("127.0.0.1:1").isLoopback()).isTrue();
        assertThat(HostPort.parse("0.0.0.0:1").isLoopback()).isFalse();
    }
}
