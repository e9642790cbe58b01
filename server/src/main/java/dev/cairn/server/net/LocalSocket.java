package dev.cairn.server.net;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file side of the daemon's Unix domain socket: clearing a stale socket file before the bind,
 * refusing to take over a live one, and the permissions after it.
 */
final class LocalSocket {
    /** Longest path a Unix socket address holds on Linux (sun_path is 108 bytes with the NUL). */
    static final int MAX_PATH = 107;
    private LocalSocket() {
    }

    /**
     * Makes {@code path} free for a bind: a socket file nobody listens on (left by a daemon that
     * crashed) is deleted; a socket with a live listener (another daemon) or a file that is not a
     * socket is an error, so this never deletes anything but a dead socket.
     */
    static void prepare(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            Path dir = path.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            return;
        }
        if (!isSocket(path)) {
            throw new IOException("local socket " + path + " exists and is not a socket; remove it or set"
                    + " 'socket:' in cairn.yaml (or --socket) to another path, or 'off'");
        }
        boolean live;
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            live = true;
        } catch (java.net.ConnectException refused) {
            live = false; // ECONNREFUSED: nobody accepts any more, what a crashed daemon left
        } catch (IOException e) {
            // E.g. EACCES: another user's socket. It may be live; never delete what cannot be checked.
            throw new IOException("cannot tell whether local socket " + path + " is in use (" + e.getMessage()
                    + "); remove it if no daemon serves there, or set another --socket", e);
        }
        if (live) {
            throw new IOException("local socket " + path + " is in use: another cairnd is serving there; stop it,"
                    + " or give this daemon another --socket (or --socket off)");
        }
        Files.deleteIfExists(path);
    }

    /** Owner read and write only: the socket is the daemon user's (and root's). */
    static void restrict(Path path) throws IOException {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    }

    private static boolean isSocket(Path path) throws IOException {
        Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & 0170000) == 0140000;
    }
}
