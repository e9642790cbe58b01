/**
 * The catalog: an append-only, checksummed log of every metadata change that defines a
 * checkpoint (manifest records with their chunk-list segments, labels, hard deletes), kept beside
 * RocksDB under {@code <data>/catalog/} and made durable before the RocksDB batch it describes.
 * It is the commit point; RocksDB's manifest families are an index of it that the store checks and
 * rebuilds at open (docs/FORMAT.md, "Catalog").
 */
package dev.cairn.store.catalog;
