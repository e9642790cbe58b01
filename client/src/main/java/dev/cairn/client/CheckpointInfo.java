package dev.cairn.client;

import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.EntryKind;
import dev.cairn.protocol.wire.Message.CheckpointSummary;

import java.util.List;

/**
 * What {@link CairnClient#show} tells about a checkpoint: its summary (metadata, kind, parent,
 * sizes, labels) and its entries in name order.
 */
public record CheckpointInfo(CheckpointSummary summary, List<EntryHeader> entries) {
    public CheckpointInfo {
        entries = List.copyOf(entries);
    }

    /** True for a single-stream checkpoint: one file entry named "". */
    public boolean isStream() {
        return entries.size() == 1 && entries.get(0).name().isEmpty() && entries.get(0).kind() == EntryKind.FILE;
    }
}
