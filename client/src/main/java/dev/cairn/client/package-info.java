/**
 * The Java client library of Cairn: {@link dev.cairn.client.CairnClient} talks the wire protocol
 * (docs/PROTOCOL.md) to {@code cairnd}, chunks and hashes on the client so that data the store
 * already holds never crosses the wire, and verifies every byte it reads back. Depends on the
 * {@code protocol} module only.
 */
package dev.cairn.client;
