package dev.cairn.protocol.manifest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.cairn.protocol.manifest.EntryKind.DIRECTORY;
import static dev.cairn.protocol.manifest.EntryKind.FILE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EntryNamesTest {

    @Test
    void aFileCannotBeTheDirectoryOfALaterEntryWhateverSortsBetween() {
        EntryNames.Checker c = new EntryNames.Checker();
        c.add("d", FILE);
        c.add("d-", FILE);
        assertThatThrownBy(() -> c.add("d-/x", FILE)).hasMessageContaining("'d-/x' lies below entry 'd-'");
        // A refused entry leaves the checker as it was: "d-" still blocks what is below it.
        assertThatThrownBy(() -> c.add("d/x", FILE)).hasMessageContaining("below entry 'd'");
        assertThatThrownBy(() -> c.add("d-/y", DIRECTORY)).hasMessageContaining("below entry 'd-'");
        c.add("d.txt", FILE);
        assertThatThrownBy(() -> c.add("d/z", DIRECTORY)).hasMessageContaining("below entry 'd'");
        c.add("dd/x", FILE); // "d" is a byte prefix of "dd", not its directory
        c.add("e", DIRECTORY);
        c.add("e/f", FILE); // a directory entry above others restores
    }

    @Test
    void orderDuplicatesAndTheSingleStream() {
        EntryNames.Checker c = new EntryNames.Checker();
        c.add("b", FILE);
        assertThatThrownBy(() -> c.add("b", DIRECTORY)).hasMessageContaining("duplicate entry name 'b'");
        assertThatThrownBy(() -> c.add("a", FILE)).hasMessageContaining("ascending");
        assertThatThrownBy(() -> c.add("", FILE)).hasMessageContaining("single-stream");
        EntryNames.Checker s = new EntryNames.Checker();
        s.add("", FILE);
        assertThatThrownBy(() -> s.add("a", FILE)).hasMessageContaining("single-stream");
    }

    @Test
    void lengthsAreCountedInUtf8Bytes() {
        assertThatCode(() -> EntryNames.checkName("é".repeat(127) + "/x")).doesNotThrowAnyException(); // 254 bytes
        assertThatThrownBy(() -> EntryNames.checkName("x/" + "é".repeat(128))).hasMessageContaining("256 bytes");
        String atLimit = ("a".repeat(255) + "/").repeat(11) + "b".repeat(254) + "/c"; // 3072 bytes
        assertThatCode(() -> EntryNames.checkName(atLimit)).doesNotThrowAnyException();
        assertThatThrownBy(() -> EntryNames.checkName(atLimit + "d")).hasMessageContaining("3073 bytes");
        assertThatThrownBy(() -> EntryNames.checkName("a/./b")).hasMessageContaining("relative path");
        assertThatThrownBy(() -> EntryNames.checkName("a\\b")).hasMessageContaining("backslash");
        assertThat(EntryNames.TARGET_PATH_BUDGET).isEqualTo(990);
    }

    @Test
    void checkAllFollowsTheHeaderOrder() {
        byte[] d = new byte[32];
        assertThatThrownBy(() -> EntryNames.checkAll(List.of(new EntryHeader("m", FILE, 0, 0, d),
                new EntryHeader("m/n", FILE, 0, 0, d)))).hasMessageContaining("below entry 'm'");
    }
}
