package dev.cairn.gc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.cairn.protocol.CairnException;
import dev.cairn.protocol.Status;
import dev.cairn.protocol.manifest.ManifestId;
import dev.cairn.store.meta.Keys;
import dev.cairn.store.meta.MetaDb;
import dev.cairn.store.meta.MetaDb.Cf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The durable log of applied trims: who asked, when, with which policy, and the whole plan. One
 * record per trim in the {@code journal} family under key {@code 'A' ‖ at-millis ‖ random u32},
 * value: u8 version 1, then UTF-8 JSON of {@link Entry}. Written in the same atomic batch as the
 * trim's first group of changes, so a trim that changed anything is always in the log.
 */
public final class AuditLog {
    static final byte PREFIX = 'A';
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .registerModule(new com.fasterxml.jackson.databind.module.SimpleModule("cairn-ids")
                    .addSerializer(ManifestId.class, new com.fasterxml.jackson.databind.ser.std.ToStringSerializer())
                    .addDeserializer(ManifestId.class, new com.fasterxml.jackson.databind.deser.std.FromStringDeserializer<>(
                            ManifestId.class) {
                        @Override
                        protected ManifestId _deserialize(String value, com.fasterxml.jackson.databind.DeserializationContext c) {
                            return ManifestId.parse(value);
                        }
                    }))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private AuditLog() {
    }

    /** One audit record. */
    public record Entry(String id, Instant at, String requestedBy, String policySource, String policyText,
                        TrimReport report) {
    }

    /** A fresh audit id for a trim at {@code at}. */
    static byte[] newKey(Instant at) {
        byte[] k = new byte[13];
        k[0] = PREFIX;
        Keys.putLong(k, 1, at.toEpochMilli());
        Keys.putInt(k, 9, ThreadLocalRandom.current().nextInt());
        return k;
    }

    static String idOf(byte[] key) {
        return "trim-" + Keys.getLong(key, 1) + "-" + Integer.toHexString(
                (key[9] & 0xff) << 24 | (key[10] & 0xff) << 16 | (key[11] & 0xff) << 8 | (key[12] & 0xff));
    }

    static void put(MetaDb.Batch b, byte[] key, Entry e) throws CairnException {
        try {
            byte[] json = JSON.writeValueAsBytes(e);
            byte[] v = new byte[json.length + 1];
            v[0] = 1;
            System.arraycopy(json, 0, v, 1, json.length);
            b.put(Cf.JOURNAL, key, v);
        } catch (IOException ex) {
            throw new CairnException(Status.INTERNAL, "cannot encode audit record: " + ex.getMessage(), ex);
        }
    }

    /** Audit records, newest first, at most {@code limit}. */
    public static List<Entry> list(MetaDb db, int limit) throws CairnException {
        List<Entry> all = new ArrayList<>();
        try (MetaDb.Cursor c = db.scanPrefix(Cf.JOURNAL, new byte[] {PREFIX})) {
            while (c.next()) {
                byte[] v = c.value();
                if (v.length == 0 || v[0] != 1) {
                    throw new CairnException(Status.CORRUPT, "audit record " + idOf(c.key()) + " has an unknown version");
                }
                try {
                    all.add(JSON.readValue(new String(v, 1, v.length - 1, StandardCharsets.UTF_8), Entry.class));
                } catch (IOException e) {
                    throw new CairnException(Status.CORRUPT, "audit record " + idOf(c.key()) + " is damaged: "
                            + e.getMessage(), e);
                }
            }
        }
        java.util.Collections.reverse(all);
        return all.size() > limit ? all.subList(0, limit) : all;
    }

    /** The JSON mapper used for audit records and reports. */
    public static ObjectMapper json() {
        return JSON;
    }
}
