/**
 * The pack layer: where chunk records physically live.
 *
 * <p>A pack is an append-only file of checksummed chunk records with a footer index, so the store
 * keeps millions of chunks in thousands of files. {@link dev.cairn.store.pack.PackStore} is the
 * backend-neutral interface the index, manifests and GC use; {@link dev.cairn.store.pack.LocalPackStore}
 * keeps packs on a local file system; {@link dev.cairn.store.pack.PackCodec} is the byte layout,
 * documented in docs/FORMAT.md ("Pack files") together with the write/sync/seal/delete ordering
 * that commit and GC rely on.
 *
 * <p>Every damaged byte surfaces as a typed error ({@link dev.cairn.store.pack.CorruptPackException}
 * with pack, offset, expected and actual), never as wrong data. The layer stores chunk payloads as
 * given; compression and the SHA-256 check of chunk ids happen above it.
 */
package dev.cairn.store.pack;
