/**
 * Packs on S3-compatible object storage with the local disk as a bounded cache, and the RocksDB
 * metadata backed up to the same bucket (docs/S3.md).
 *
 * <p>{@link dev.cairn.s3.S3Stores} opens a {@link dev.cairn.store.Repository} on a bucket and
 * restores one from it; {@link dev.cairn.s3.S3PackStore} is the pack backend;
 * {@link dev.cairn.s3.MetadataBackup} keeps the metadata recoverable;
 * {@link dev.cairn.s3.PrefixOwner} holds the store's claim on its prefix (one owner per prefix,
 * the {@link dev.cairn.s3.OwnerRecord} object); {@link dev.cairn.s3.Bucket} is the only class
 * that talks to the SDK.
 */
package dev.cairn.s3;
