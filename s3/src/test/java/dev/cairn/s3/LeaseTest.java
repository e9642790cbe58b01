package dev.cairn.s3;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeaseTest {
    final S3ProxyServer s3 = S3ProxyServer.shared();
    final S3Settings settings = s3.settings(null);

    @Test
    void theServerHonoursIfMatchOnPut() throws Exception {
        try (Bucket b = Bucket.open(settings, null)) {
            String key = settings.prefix() + "/probe";
            String e1 = b.put(key, new byte[] {1}, true);
            Bucket.Versioned v = b.getVersioned(key);
            assertThat(v.etag()).isEqualTo(e1);
            String e2 = b.putIfMatch(key, new byte[] {2}, e1);
            assertThat(e2).isNotEqualTo(e1);
            assertThatThrownBy(() -> b.putIfMatch(key, new byte[] {3}, e1))
                    .isInstanceOfSatisfying(BucketException.class, e -> assertThat(e.status()).isEqualTo(412));
            assertThat(b.get(key)).containsExactly(2);
            assertThatThrownBy(() -> b.putIfMatch(settings.prefix() + "/nothing", new byte[] {3}, e1))
                    .isInstanceOfSatisfying(BucketException.class, e -> assertThat(e.status()).isIn(404, 412));
        }
    }
}
