package dev.cairn.server;

import dev.cairn.protocol.wire.Message.CommitOk;
import dev.cairn.server.config.ConfigException;
import dev.cairn.server.config.DaemonConfig;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TLS with a certificate the test generates (Bouncy Castle), verified by hostname like a real client. */
class TlsTest {
    @TempDir
    Path dir;

    record Generated(X509Certificate cert, Path certFile, Path keyFile) {
    }

    static Generated selfSigned(Path dir) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        KeyPair kp = kpg.generateKeyPair();
        X500Name name = new X500Name("CN=cairnd test");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86400)), name, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        Path certFile = dir.resolve("server.pem");
        Path keyFile = dir.resolve("server-key.pem");
        try (Writer w = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(cert);
        }
        try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(kp.getPrivate(), null));
        }
        return new Generated(cert, certFile, keyFile);
    }

    static SSLContext trusting(X509Certificate cert) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("cairnd", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static WireDriver tlsClient(SSLContext ctx, java.net.InetSocketAddress a) throws IOException {
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(a.getHostString(), a.getPort());
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // check the certificate names this host
        s.setSSLParameters(p);
        s.startHandshake();
        return WireDriver.wrap(s);
    }

    @Test
    void roundTripOverTls() throws Exception {
        Generated g = selfSigned(dir);
        DaemonConfig c = DaemonFixture.config(dir.resolve("data"))
                .withTls(new DaemonConfig.TlsFiles(g.certFile(), g.keyFile()));
        CairnDaemon d = CairnDaemon.start(c);
        try {
            byte[] data = DaemonFixture.data(400, 300_000);
            try (WireDriver w = tlsClient(trusting(g.cert()), d.address())) {
                assertThat(((SSLSocket) w.socket()).getSession().getProtocol()).startsWith("TLSv1.");
                w.hello("");
                CommitOk ok = w.put("tls/x", Instant.parse("2026-11-01T00:00:00Z"), data);
                assertThat(w.read(ok.id(), "")).isEqualTo(data);
            }
            // A plaintext client gets nothing but a closed connection.
            try (WireDriver plain = WireDriver.connect(d.address())) {
                plain.sendRaw(dev.cairn.protocol.wire.MessageCodec.encode(dev.cairn.protocol.wire.Envelope.of(1,
                        new dev.cairn.protocol.wire.Message.Hello(1, 1, dev.cairn.protocol.wire.Wire.MIN_MAX_FRAME, "", "p"))));
                assertThat(plain.drainUntilClosed()).isEmpty();
            }
            // A client that does not trust the certificate refuses the handshake.
            assertThatThrownBy(() -> tlsClient(SSLContext.getDefault(), d.address())).isInstanceOf(SSLException.class);
            try (WireDriver w = tlsClient(trusting(g.cert()), d.address())) {
                w.hello("");
            }
        } finally {
            assertThat(d.stop()).isTrue();
        }
    }

    @Test
    void unusableKeyFilesFailTheStart() throws Exception {
        Generated g = selfSigned(dir);
        Files.writeString(g.keyFile(), "not a key");
        DaemonConfig c = DaemonFixture.config(dir.resolve("data"))
                .withTls(new DaemonConfig.TlsFiles(g.certFile(), g.keyFile()));
        assertThatThrownBy(() -> CairnDaemon.start(c)).isInstanceOf(ConfigException.class).hasMessageContaining("tls:");
    }
}
