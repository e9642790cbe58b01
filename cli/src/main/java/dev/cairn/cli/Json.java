package dev.cairn.cli;

import dev.cairn.client.CheckpointInfo;
import dev.cairn.client.GcReport;
import dev.cairn.client.KeepReason;
import dev.cairn.client.PolicySimulation;
import dev.cairn.client.PutResult;
import dev.cairn.client.StoreStats;
import dev.cairn.client.TrashEntry;
import dev.cairn.client.TrimLogRecord;
import dev.cairn.client.TrimReport;
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

    /**
     * A trim report. {@code keep} and {@code remove} span every series (each item names its
     * series); {@code blocked} lists the series the max_remove brake stopped; {@code series} has
     * one summary per series.
     */
    static Map<String, Object> trim(TrimReport r) {
        List<Map<String, Object>> keep = new ArrayList<>();
        List<Map<String, Object>> remove = new ArrayList<>();
        List<Map<String, Object>> blocked = new ArrayList<>();
        List<Map<String, Object>> series = new ArrayList<>();
        for (TrimReport.SeriesPlan s : r.series()) {
            for (TrimReport.Kept k : s.kept()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", k.id().toHex());
                m.put("series", s.series());
                m.put("reasons", reasons(k.reasons()));
                keep.add(m);
            }
            for (TrimReport.Removed x : s.removed()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", x.id().toHex());
                m.put("series", s.series());
                m.put("createdAt", time(x.createdAt()));
                m.put("freedBytes", x.freedBytes());
                remove.add(m);
            }
            if (s.isBlocked()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("series", s.series());
                m.put("policy", s.policy());
                m.put("message", s.blocked());
                blocked.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("series", s.series());
            m.put("policy", s.policy());
            m.put("blocked", s.blocked());
            m.put("trashExpiresAt", time(s.trashExpiresAt()));
            m.put("kept", s.kept().size());
            m.put("removed", s.removed().size());
            m.put("freedBytes", s.freedBytes());
            series.add(m);
        }
        List<Map<String, Object>> rebases = new ArrayList<>();
        for (TrimReport.Rebase b : r.rebases()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", b.id().toHex());
            m.put("series", b.series());
            m.put("oldParent", hex(b.oldParent()));
            m.put("newParent", hex(b.newParent()));
            rebases.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keep", keep);
        m.put("remove", remove);
        m.put("blocked", blocked);
        m.put("rebases", rebases);
        m.put("series", series);
        m.put("kept", r.kept());
        m.put("removed", r.removed());
        m.put("freedBytes", r.freedBytes());
        m.put("auditId", r.auditId());
        m.put("applied", r.applied());
        m.put("dryRun", r.dryRun());
        m.put("force", r.force());
        m.put("at", time(r.at()));
        m.put("requestedBy", r.requestedBy());
        m.put("policySource", r.policySource());
        return m;
    }

    static List<Map<String, Object>> reasons(List<KeepReason> rs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (KeepReason x : rs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", x.kind());
            m.put("text", x.text());
            out.add(m);
        }
        return out;
    }

    static Map<String, Object> trashEntry(TrashEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id().toHex());
        m.put("series", e.series());
        m.put("createdAt", time(e.createdAt()));
        m.put("logicalBytes", e.logicalBytes());
        m.put("trashedAt", time(e.trashedAt()));
        m.put("expiresAt", time(e.expiresAt()));
        m.put("auditId", e.auditId());
        return m;
    }

    static Map<String, Object> hold(ManifestId id, HoldInfo h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id.toHex());
        m.put("owner", h.owner());
        m.put("reason", h.reason());
        m.put("createdAt", time(h.createdAt()));
        m.put("expiresAt", time(h.expiresAt()));
        return m;
    }

    static Map<String, Object> gc(GcReport g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gcId", g.gcId());
        m.put("dryRun", g.dryRun());
        m.put("epoch", g.epoch());
        m.put("manifestsDeleted", g.manifestsDeleted());
        m.put("rebased", g.rebased());
        m.put("chunksLive", g.chunksLive());
        m.put("chunksFreed", g.chunksFreed());
        m.put("bytesReclaimed", g.bytesReclaimed());
        m.put("packsDeleted", g.packsDeleted());
        m.put("packsRewritten", g.packsRewritten());
        m.put("bytesCopied", g.bytesCopied());
        m.put("orphanSegments", g.orphanSegments());
        m.put("phaseMillis", new LinkedHashMap<>(g.phaseMillis()));
        m.put("totalMillis", g.totalMillis());
        m.put("markSetBytes", g.markSetBytes());
        m.put("unexplainedChunks", g.unexplainedChunks());
        m.put("unexplainedBytes", g.unexplainedBytes());
        m.put("packsKept", g.packsKept());
        m.put("forced", g.forced());
        return m;
    }

    /** One simulated series; {@code svgFile} is where its SVG was written, or null. */
    static Map<String, Object> simulation(PolicySimulation s, String svgFile) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("series", s.series());
        m.put("policy", s.policy());
        m.put("puts", s.puts());
        m.put("survivors", s.survivors());
        m.put("stepsOverMaxRemove", s.stepsOverMaxRemove());
        m.put("storedBytes", s.storedBytes());
        List<Map<String, Object>> bands = new ArrayList<>();
        for (PolicySimulation.AgeBand b : s.bands()) {
            Map<String, Object> bm = new LinkedHashMap<>();
            bm.put("label", b.label());
            bm.put("fromMillis", b.from().toMillis());
            bm.put("toMillis", b.to() == null ? null : b.to().toMillis());
            bm.put("survivors", b.survivors());
            bm.put("largestGapMillis", b.largestGap() == null ? null : b.largestGap().toMillis());
            bands.add(bm);
        }
        m.put("bands", bands);
        List<Map<String, Object>> timeline = new ArrayList<>();
        for (PolicySimulation.TimelineEntry e : s.timeline()) {
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("id", e.id().toHex());
            em.put("createdAt", time(e.createdAt()));
            em.put("survives", e.survives());
            em.put("removedAt", time(e.removedAt()));
            em.put("reasons", reasons(e.reasons()));
            em.put("storedBytesAfter", e.storedBytesAfter());
            timeline.add(em);
        }
        m.put("timeline", timeline);
        m.put("svgFile", svgFile);
        return m;
    }

    /** A trim log record; {@code report} is the parsed full record, or null if not asked for. */
    static Map<String, Object> trimLog(TrimLogRecord r, Object report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("at", time(r.at()));
        m.put("requestedBy", r.requestedBy());
        m.put("policySource", r.policySource());
        m.put("seriesCount", r.seriesCount());
        m.put("kept", r.kept());
        m.put("removed", r.removed());
        m.put("rebases", r.rebases());
        m.put("freedBytes", r.freedBytes());
        m.put("report", report);
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
