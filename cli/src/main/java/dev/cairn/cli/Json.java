package dev.cairn.cli;

import dev.cairn.client.CheckpointInfo;
import dev.cairn.client.PutResult;
import dev.cairn.client.StoreStats;
import dev.cairn.client.VerifyReport;
import dev.cairn.protocol.manifest.CheckpointMeta;
import dev.cairn.protocol.manifest.EntryHeader;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.protocol.wire.Message.CheckpointSummary;
import dev.cairn.protocol.wire.Message.HoldInfo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} shapes, built as ordered maps so field order and names are explicit and
 * stable (scripts depend on them): ids are 64-character hex strings, times ISO-8601 UTC strings,
 * sizes numbers of bytes, absent values null.
 */
final class Json {
    private Json() {
    }

    static Map<String, Object> put(PutResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id().toHex());
        m.put("kind", r.kind());
        m.put("logicalBytes", r.logicalBytes());
        m.put("newBytes", r.newBytes());
        m.put("storedBytes", r.storedBytes());
        m.put("chunks", r.chunks());
        m.put("newChunks", r.newChunks());
        m.put("parent", hex(r.parent()));
        m.put("existed", r.existed());
        m.put("uploadedBytes", r.uploadedBytes());
        return m;
    }

    static Map<String, Object> summary(CheckpointSummary s) {
        CheckpointMeta meta = s.meta();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id().toHex());
        m.put("series", meta.series());
        m.put("createdAt", time(meta.createdAt()));
        m.put("step", meta.step().isPresent() ? meta.step().getAsLong() : null);
        m.put("metrics", new LinkedHashMap<>(meta.metrics()));
        m.put("computeSeconds", meta.computeSeconds().isPresent() ? meta.computeSeconds().getAsDouble() : null);
        m.put("derivedFrom", meta.derivedFrom().map(ManifestId::toHex).orElse(null));
        m.put("kind", s.kind());
        m.put("parent", hex(s.parent()));
        m.put("depth", s.depth());
        m.put("logicalBytes", s.logicalBytes());
        m.put("entryCount", s.entryCount());
        m.put("tags", s.labels().tags());
        List<Map<String, Object>> holds = new ArrayList<>();
        for (HoldInfo h : s.labels().holds()) {
            Map<String, Object> hm = new LinkedHashMap<>();
            hm.put("owner", h.owner());
            hm.put("reason", h.reason());
            hm.put("createdAt", time(h.createdAt()));
            hm.put("expiresAt", time(h.expiresAt()));
            holds.add(hm);
        }
        m.put("holds", holds);
        if (s.labels().trash() != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("trashedAt", time(s.labels().trash().trashedAt()));
            t.put("expiresAt", time(s.labels().trash().expiresAt()));
            t.put("reason", s.labels().trash().reason());
            m.put("trash", t);
        } else {
            m.put("trash", null);
        }
        return m;
    }

    static Map<String, Object> show(CheckpointInfo info) {
        Map<String, Object> m = summary(info.summary());
        List<Map<String, Object>> es = new ArrayList<>();
        for (EntryHeader e : info.entries()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("name", e.name());
            em.put("kind", e.kind().name().toLowerCase(java.util.Locale.ROOT));
            em.put("size", e.size());
            em.put("chunks", e.chunkCount());
            em.put("listDigest", HexFormat.of().formatHex(e.listDigest()));
            es.add(em);
        }
        m.put("entries", es);
        return m;
    }

    static Map<String, Object> stats(StoreStats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checkpoints", s.checkpoints());
        m.put("trashed", s.trashed());
        m.put("series", s.series());
        m.put("logicalBytes", s.logicalBytes());
        m.put("chunks", s.chunks());
        m.put("chunkBytes", s.chunkBytes());
        m.put("storedBytes", s.storedBytes());
        m.put("packs", s.packs());
        m.put("metadataBytes", s.metadataBytes());
        return m;
    }

    static Map<String, Object> verify(VerifyReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clean", r.clean());
        m.put("readData", r.readData());
        m.put("manifests", r.manifests());
        m.put("chunks", r.chunks());
        m.put("bytesRead", r.bytesRead());
        m.put("packs", r.packs());
        m.put("problemCount", r.problemCount());
        List<Map<String, Object>> ps = new ArrayList<>();
        for (VerifyReport.Problem p : r.problems()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("kind", p.kind());
            pm.put("subject", p.subject());
            pm.put("message", p.message());
            ps.add(pm);
        }
        m.put("problems", ps);
        List<Map<String, Object>> ds = new ArrayList<>();
        for (VerifyReport.Damaged d : r.damaged()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("id", d.id().toHex());
            dm.put("reasons", d.reasons());
            ds.add(dm);
        }
        m.put("damaged", ds);
        return m;
    }

    static Map<String, Object> error(int exitCode, String status, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("status", status);
        m.put("exitCode", exitCode);
        return m;
    }

    static String hex(ManifestId id) {
        return id == null ? null : id.toHex();
    }

    static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
