package dev.cairn.e2e;

import dev.cairn.cli.ExitCodes;
import dev.cairn.client.CairnClient;
import dev.cairn.client.CairnClientException;
import dev.cairn.protocol.manifest.PutOptions;
import dev.cairn.client.PutResult;
import dev.cairn.protocol.manifest.CheckpointMeta;
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

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client and CLI over TLS, verifying a certificate the test generates (and refusing one they do not trust). */
class TlsE2eTest {
    @TempDir
    Path dir;

    static Path[] selfSigned(Path dir, String name) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(256);
        KeyPair kp = kpg.generateKeyPair();
        X500Name x = new X500Name("CN=" + name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(x, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86400)), x, kp.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        Path certFile = dir.resolve(name + ".pem");
        Path keyFile = dir.resolve(name + "-key.pem");
        try (Writer w = Files.newBufferedWriter(certFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(cert);
        }
        try (Writer w = Files.newBufferedWriter(keyFile); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(kp.getPrivate(), null));
        }
        return new Path[] {certFile, keyFile};
    }

    @Test
    void clientAndCliVerifyTheServerCertificate() throws Exception {
        Path[] server = selfSigned(dir, "server");
        Path[] other = selfSigned(dir, "other");
        DaemonConfig cfg = TestDaemon.config(dir.resolve("data"), TestDaemon.SMALL)
                .withTls(new DaemonConfig.TlsFiles(server[0], server[1]));
        try (TestDaemon d = TestDaemon.start(cfg)) {
            byte[] data = TestDaemon.data(9, 2_000_000);
            PutResult r;
            try (CairnClient c = CairnClient.builder().address(d.address()).tlsTrust(server[0]).build()) {
                r = c.put(PutOptions.of(CheckpointMeta.of("tls/a", Instant.now())), new ByteArrayInputStream(data));
                try (InputStream in = c.open(r.id())) {
                    assertThat(in.readAllBytes()).isEqualTo(data);
                }
            }
            try (CairnClient c = CairnClient.builder().address(d.address()).tlsTrust(other[0]).build()) {
                assertThatThrownBy(c::stats).isInstanceOfSatisfying(CairnClientException.class,
                        e -> assertThat(e.connectionLost()).isTrue());
            }
            try (CairnClient c = CairnClient.builder().address(d.address()).build()) { // plain TCP to a TLS port
                assertThatThrownBy(c::stats).isInstanceOf(CairnClientException.class);
            }
            Map<String, String> env = Map.of("CAIRN_SERVER", d.address());
            Cli ls = Cli.run(env, null, "--tls-trust", server[0].toString(), "ls", "--series", "tls/a");
            assertThat(ls.code()).as("%s", ls).isZero();
            assertThat(ls.out()).contains(r.id().shortHex());
            assertThat(Cli.run(env, null, "--tls-trust", other[0].toString(), "ls").code()).isEqualTo(ExitCodes.UNAVAILABLE);
        }
    }
}
