package dev.cairn.gc;

import dev.cairn.store.Repository;
import dev.cairn.store.VerifyReport;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The store checker as a test oracle. */
final class VerifyAssert {
    private VerifyAssert() {
    }

    static void clean(Repository repo) throws IOException {
        VerifyReport r = repo.verify(true);
        assertThat(r.problems()).as("verify problems").isEmpty();
        assertThat(r.damaged()).as("damaged checkpoints").isEmpty();
    }
}
