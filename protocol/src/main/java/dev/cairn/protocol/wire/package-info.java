/**
 * The wire protocol between {@code cairn} clients and the {@code cairnd} daemon
 * (docs/PROTOCOL.md): message records ({@link dev.cairn.protocol.wire.Message}), their byte
 * layout ({@link dev.cairn.protocol.wire.MessageCodec}, plain code), and the two Netty stages both
 * ends put in their pipelines ({@link dev.cairn.protocol.wire.FrameDecoder} →
 * {@link dev.cairn.protocol.wire.MessageCodecHandler}).
 */
package dev.cairn.protocol.wire;
