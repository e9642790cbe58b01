package dev.cairn.client;

import dev.cairn.protocol.wire.Message;

import java.util.List;

/** A whole response: its stream parts in order, then its final message. */
record Reply(List<Message.Response> parts, Message.Response last) {
}
