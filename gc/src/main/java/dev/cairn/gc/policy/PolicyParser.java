package dev.cairn.gc.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.io.Reader;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads retention policies from YAML. A policy file is
 * <pre>
 * policies:
 *   - series: "resnet50/*"
 *     last: 3
 *     daily: 7
 *     best: [{metric: val_loss, mode: min, n: 3}]
 * </pre>
 * and the same {@code policies:} block can sit inside the daemon's {@code cairn.yaml}, which hands
 * the node to {@link #parsePolicies(JsonNode)}. Every problem (unknown key, bad duration, negative
 * count, {@code floor: 0}, a policy that keeps nothing beyond the invariants, overlapping globs) is
 * collected and reported together in one {@link PolicyException}, with line and column when the
 * input was text. Nothing is evaluated before the whole input is valid.
 */
public final class PolicyParser {

    /** The keys of one policy, in the order the documentation lists them. */
    public static final List<String> KEYS = List.of("series", "last", "within", "hourly", "daily", "weekly",
            "monthly", "yearly", "tags", "best", "every_n_steps", "max_recompute", "keep_lineage", "floor",
            "max_remove", "timezone", "grace", "chain");
    static final List<String> BEST_KEYS = List.of("metric", "mode", "n");
    private static final List<String> RULE_KEYS = List.of("last", "within", "hourly", "daily", "weekly", "monthly",
            "yearly", "tags", "best", "every_n_steps", "max_recompute");
    private static final Pattern PERCENT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*%");

    /**
     * Largest policy text, in UTF-8 bytes, that {@link #parse(String)} reads (1 MiB: a policy
     * file is a few KiB; the limit keeps one request from costing seconds of CPU). Checked before
     * any parsing; over it, {@link PolicyException#limitExceeded()}.
     */
    public static final int MAX_POLICY_BYTES = dev.cairn.protocol.wire.Wire.MAX_POLICY_BYTES;

    private static final YAMLFactory YAML = YamlLimits.factory(MAX_POLICY_BYTES);

    private PolicyParser() {
    }

    /**
     * Parses a policy document ({@code policies:} at the top level, nothing else), in one pass
     * that keeps the line and column of every key and value for the error messages.
     *
     * @throws PolicyException every problem found; with {@link PolicyException#limitExceeded()}
     *                         if the text is over {@link #MAX_POLICY_BYTES} or has a line over
     *                         {@link YamlLimits#MAX_LINE_CHARS} (then nothing was parsed)
     */
    public static PolicySet parse(String yaml) throws PolicyException {
        checkLimits(yaml);
        Map<String, int[]> keys = new HashMap<>();
        Map<String, int[]> values = new HashMap<>();
        JsonNode root = TreeReader.read(yaml, keys, values);
        Ctx ctx = new Ctx(new Locations(keys, values));
        PolicySet set = document(root, ctx);
        ctx.throwIfAny();
        return set;
    }

    /**
     * Refuses a policy text over the documented limits without parsing it: more than
     * {@link #MAX_POLICY_BYTES} UTF-8 bytes, or a line longer than {@link YamlLimits#MAX_LINE_CHARS}.
     * Costs one pass over the chars.
     *
     * @throws PolicyException with {@link PolicyException#limitExceeded()}
     */
    public static void checkLimits(String yaml) throws PolicyException {
        // Every char is at least one UTF-8 byte: a longer string is over without counting.
        long bytes = yaml.length() > MAX_POLICY_BYTES ? yaml.length() : YamlLimits.utf8Length(yaml);
        checkSize(bytes);
        int line = YamlLimits.firstLongLine(yaml);
        if (line > 0) {
            throw PolicyException.limit(line, "line " + line + " is longer than " + YamlLimits.MAX_LINE_CHARS
                    + " characters, the limit for a line of a policy file; break it up (a comment can span several"
                    + " lines, each starting with '#')");
        }
    }

    /**
     * Refuses a policy of {@code bytes} UTF-8 bytes if that is over {@link #MAX_POLICY_BYTES}
     * (for callers that know the size before reading, such as the CLI with a file).
     *
     * @throws PolicyException with {@link PolicyException#limitExceeded()}
     */
    public static void checkSize(long bytes) throws PolicyException {
        if (bytes > MAX_POLICY_BYTES) {
            throw PolicyException.limit(0, "the policy is " + bytes + " bytes; the limit is " + MAX_POLICY_BYTES
                    + " bytes (1 MiB)");
        }
    }

    /** Reads the whole of {@code in} (refused once it passes the size limit) and parses it as by {@link #parse(String)}. */
    public static PolicySet parse(Reader in) throws PolicyException, IOException {
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            sb.append(buf, 0, n);
            if (sb.length() > MAX_POLICY_BYTES) {
                checkSize(sb.length()); // each char is at least one byte: over the limit, stop reading
            }
        }
        return parse(sb.toString());
    }

    /** Parses an already-read document tree ({@code {policies: [...]}}); problems carry paths only. */
    public static PolicySet parseDocument(JsonNode root) throws PolicyException {
        Ctx ctx = new Ctx(Locations.NONE);
        PolicySet set = document(root, ctx);
        ctx.throwIfAny();
        return set;
    }

    /**
     * Parses the value of a {@code policies:} key (a list) taken from a larger document such as
     * {@code cairn.yaml}; problems carry paths relative to it ({@code policies[2].daily}).
     */
    public static PolicySet parsePolicies(JsonNode policies) throws PolicyException {
        Ctx ctx = new Ctx(Locations.NONE);
        PolicySet set = policyList(policies, "policies", ctx);
        ctx.throwIfAny();
        return set;
    }

    // ---- document structure ----------------------------------------------------------------------

    private static PolicySet document(JsonNode root, Ctx ctx) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            ctx.value("(document)", "the policy file is empty; expected 'policies:' with a list of policies");
            return null;
        }
        if (!root.isObject()) {
            ctx.value("(document)", "expected a mapping with the key 'policies', got " + describe(root));
            return null;
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("policies")) {
                ctx.key(k, "unknown top-level key '" + k + "'; a policy file has only the key 'policies'");
            }
        }
        if (!root.has("policies")) {
            ctx.value("(document)", "missing the key 'policies' (a list of policies)");
            return null;
        }
        return policyList(root.get("policies"), "policies", ctx);
    }

    private static PolicySet policyList(JsonNode list, String path, Ctx ctx) {
        if (list == null || !list.isArray()) {
            ctx.value(path, "'policies' must be a list of policies (each starting with '- series: ...'), got "
                    + describe(list));
            return null;
        }
        List<RetentionPolicy> out = new ArrayList<>();
        List<String> outPaths = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String p = path + "[" + i + "]";
            RetentionPolicy rp = policy(list.get(i), p, ctx);
            if (rp != null) {
                out.add(rp);
                outPaths.add(p);
            }
        }
        // Overlaps are checked among the policies that parsed, and reported at the later one.
        for (int i = 0; i < out.size(); i++) {
            for (int j = i + 1; j < out.size(); j++) {
                SeriesGlob a = out.get(i).series();
                SeriesGlob b = out.get(j).series();
                Optional<String> w = a.overlapWitness(b);
                if (w.isPresent()) {
                    ctx.value(outPaths.get(j) + ".series", "series globs overlap: '" + a + "' (" + outPaths.get(i)
                            + ") and '" + b + "' (" + outPaths.get(j) + ") both match the series '" + w.get()
                            + "'; make them disjoint so each series has exactly one policy");
                }
            }
        }
        if (ctx.hasProblems()) {
            return null;
        }
        return new PolicySet(out);
    }

    private static RetentionPolicy policy(JsonNode node, String path, Ctx ctx) {
        if (node == null || !node.isObject()) {
            ctx.value(path, "each policy must be a mapping with at least 'series' and one keep rule, got "
                    + describe(node));
            return null;
        }
        int before = ctx.count();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                ctx.key(path + "." + k, "unknown key '" + k + "'" + suggestion(k, KEYS) + "; allowed keys: "
                        + String.join(", ", KEYS));
            }
        }
        SeriesGlob glob = null;
        if (!node.has("series")) {
            ctx.value(path, "missing required key 'series' (a series name or glob, e.g. \"resnet50/*\")");
        } else {
            String text = string(node, path, "series", ctx);
            if (text != null) {
                try {
                    glob = SeriesGlob.compile(text);
                } catch (IllegalArgumentException e) {
                    ctx.value(path + ".series", e.getMessage());
                }
            }
        }
        int last = count(node, path, "last", ctx);
        Optional<PolicyDuration> within = duration(node, path, "within", true, ctx);
        int hourly = count(node, path, "hourly", ctx);
        int daily = count(node, path, "daily", ctx);
        int weekly = count(node, path, "weekly", ctx);
        int monthly = count(node, path, "monthly", ctx);
        int yearly = count(node, path, "yearly", ctx);
        Set<String> tags = tags(node, path, ctx);
        List<BestRule> best = best(node, path, ctx);
        long everyNSteps = 0;
        if (node.has("every_n_steps")) {
            everyNSteps = integer(node, path, "every_n_steps", 1, Long.MAX_VALUE,
                    "a whole number of steps >= 1", ctx, 0);
        }
        Optional<PolicyDuration> maxRecompute = duration(node, path, "max_recompute", true, ctx);
        boolean keepLineage = false;
        if (node.has("keep_lineage")) {
            JsonNode v = node.get("keep_lineage");
            if (v.isBoolean()) {
                keepLineage = v.booleanValue();
            } else {
                ctx.value(path + ".keep_lineage", "'keep_lineage' must be true or false, got " + describe(v));
            }
        }
        int floor = 1;
        if (node.has("floor")) {
            floor = (int) integer(node, path, "floor", 1, Integer.MAX_VALUE,
                    "a whole number >= 1 (the newest restorable checkpoint is always kept, so 0 is not possible)",
                    ctx, 1);
        }
        MaxRemove maxRemove = maxRemove(node, path, ctx);
        ZoneId zone = ZoneOffset.UTC;
        if (node.has("timezone")) {
            String z = string(node, path, "timezone", ctx);
            if (z != null) {
                try {
                    zone = ZoneId.of(z);
                } catch (DateTimeException e) {
                    ctx.value(path + ".timezone", "unknown time zone '" + z
                            + "'; use an IANA zone id such as UTC, Europe/Berlin or America/New_York");
                }
            }
        }
        PolicyDuration grace = duration(node, path, "grace", false, ctx).orElse(RetentionPolicy.DEFAULT_GRACE);
        ChainMode chain = ChainMode.REBASE;
        if (node.has("chain")) {
            String c = string(node, path, "chain", ctx);
            if ("rebase".equals(c)) {
                chain = ChainMode.REBASE;
            } else if ("keep_base".equals(c)) {
                chain = ChainMode.KEEP_BASE;
            } else if (c != null) {
                ctx.value(path + ".chain", "'chain' must be 'rebase' or 'keep_base', got '" + c + "'");
            }
        }
        if (ctx.count() > before) {
            return null;
        }
        KeepRules rules = new KeepRules(last, within, hourly, daily, weekly, monthly, yearly, tags, best,
                everyNSteps, maxRecompute);
        if (!rules.keepsAnything()) {
            List<String> present = new ArrayList<>();
            for (String k : RULE_KEYS) {
                if (node.has(k)) {
                    present.add(k + ": " + node.get(k));
                }
            }
            String what = present.isEmpty() ? "it has no keep rule"
                    : "its keep rules (" + String.join(", ", present) + ") keep nothing";
            ctx.value(path, "the policy for series '" + glob + "' would keep nothing beyond the invariants (newest"
                    + " restorable, holds, floor): " + what + ". Add at least one of " + String.join(", ", RULE_KEYS)
                    + " (e.g. 'last: 5' keeps the 5 newest)");
            return null;
        }
        return new RetentionPolicy(glob, rules, keepLineage, floor, maxRemove, zone, grace, chain);
    }

    // ---- values ------------------------------------------------------------------------------------

    private static String string(JsonNode node, String path, String key, Ctx ctx) {
        JsonNode v = node.get(key);
        if (!v.isTextual() || v.textValue().isBlank()) {
            ctx.value(path + "." + key, "'" + key + "' must be a non-empty string, got " + describe(v));
            return null;
        }
        return v.textValue();
    }

    /**
     * {@code last}, {@code hourly}..{@code yearly}: absent = 0; {@code unlimited} keeps every bucket,
     * spelled as current restic spells it. Negative numbers are refused: restic before 0.16 silently
     * treated {@code -1} as "off" and removed everything the rule should have kept.
     */
    private static int count(JsonNode node, String path, String key, Ctx ctx) {
        if (!node.has(key)) {
            return 0;
        }
        JsonNode v = node.get(key);
        if (v.isTextual() && v.textValue().equals("unlimited")) {
            return KeepRules.UNLIMITED;
        }
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() < 0) {
            ctx.value(path + "." + key, "'" + key + "' must not be negative, got " + v.longValue()
                    + "; write 'unlimited' to keep every " + (key.equals("last") ? "checkpoint" : "bucket")
                    + " (restic before 0.16 read -1 as 'off'; current restic refuses negative counts too)");
            return 0;
        }
        return (int) integer(node, path, key, 0, Integer.MAX_VALUE, "a whole number >= 0, or 'unlimited'", ctx, 0);
    }

    private static long integer(JsonNode node, String path, String key, long min, long max, String expected,
                                Ctx ctx, long fallback) {
        JsonNode v = node.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            String hint = v.isTextual() && PolicyDurationHint.looksLikeDuration(v.textValue())
                    ? " (a count, not a duration)" : "";
            ctx.value(path + "." + key, "'" + key + "' must be " + expected + hint + ", got " + describe(v));
            return fallback;
        }
        long n = v.longValue();
        if (n < min || n > max) {
            ctx.value(path + "." + key, "'" + key + "' must be " + expected + ", got " + n);
            return fallback;
        }
        return n;
    }

    private static Optional<PolicyDuration> duration(JsonNode node, String path, String key, boolean positive,
                                                     Ctx ctx) {
        if (!node.has(key)) {
            return Optional.empty();
        }
        JsonNode v = node.get(key);
        String text = v.isTextual() ? v.textValue() : v.isNumber() ? v.asText() : null;
        if (text == null) {
            ctx.value(path + "." + key, "'" + key + "' must be a duration such as 90s, 15m, 2h, 7d, 2w or 1d12h, got "
                    + describe(v));
            return Optional.empty();
        }
        try {
            PolicyDuration d = PolicyDuration.parse(text);
            if (positive && d.isZero()) {
                ctx.value(path + "." + key, "'" + key + "' must be longer than zero (remove the key to switch the rule off)");
                return Optional.empty();
            }
            return Optional.of(d);
        } catch (IllegalArgumentException e) {
            ctx.value(path + "." + key, "'" + key + "': " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Set<String> tags(JsonNode node, String path, Ctx ctx) {
        if (!node.has("tags")) {
            return Set.of();
        }
        JsonNode v = node.get("tags");
        if (!v.isArray()) {
            ctx.value(path + ".tags", "'tags' must be a list of tag names, e.g. [milestone, best], got " + describe(v));
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode t = v.get(i);
            if (!t.isTextual() || t.textValue().isBlank()) {
                ctx.value(path + ".tags[" + i + "]", "a tag must be a non-empty string, got " + describe(t));
            } else {
                out.add(t.textValue());
            }
        }
        return out;
    }

    private static List<BestRule> best(JsonNode node, String path, Ctx ctx) {
        if (!node.has("best")) {
            return List.of();
        }
        JsonNode v = node.get("best");
        if (!v.isArray()) {
            ctx.value(path + ".best", "'best' must be a list like [{metric: val_loss, mode: min, n: 3}], got "
                    + describe(v));
            return List.of();
        }
        List<BestRule> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String p = path + ".best[" + i + "]";
            JsonNode b = v.get(i);
            if (!b.isObject()) {
                ctx.value(p, "each 'best' entry must be a mapping {metric, mode, n}, got " + describe(b));
                continue;
            }
            int before = ctx.count();
            for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!BEST_KEYS.contains(k)) {
                    ctx.key(p + "." + k, "unknown key '" + k + "'" + suggestion(k, BEST_KEYS)
                            + "; allowed keys in a 'best' entry: " + String.join(", ", BEST_KEYS));
                }
            }
            String metric = null;
            if (!b.has("metric")) {
                ctx.value(p, "missing required key 'metric' in a 'best' entry");
            } else {
                metric = string(b, p, "metric", ctx);
            }
            BestRule.Mode mode = null;
            if (!b.has("mode")) {
                ctx.value(p, "missing required key 'mode' (min or max) in a 'best' entry");
            } else {
                String m = string(b, p, "mode", ctx);
                if ("min".equals(m)) {
                    mode = BestRule.Mode.MIN;
                } else if ("max".equals(m)) {
                    mode = BestRule.Mode.MAX;
                } else if (m != null) {
                    ctx.value(p + ".mode", "'mode' must be 'min' or 'max', got '" + m + "'");
                }
            }
            int n = 1;
            if (b.has("n")) {
                n = (int) integer(b, p, "n", 1, Integer.MAX_VALUE, "a whole number >= 1", ctx, 1);
            }
            if (ctx.count() == before) {
                out.add(new BestRule(metric, mode, n));
            }
        }
        return out;
    }

    private static MaxRemove maxRemove(JsonNode node, String path, Ctx ctx) {
        if (!node.has("max_remove")) {
            return MaxRemove.DEFAULT;
        }
        JsonNode v = node.get("max_remove");
        String expected = "'max_remove' must be a count >= 0 (e.g. 20) or a percentage of the series between 0% and"
                + " 100% (e.g. \"50%\"), got ";
        if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
            return MaxRemove.count(v.longValue());
        }
        if (v.isTextual()) {
            Matcher m = PERCENT.matcher(v.textValue().strip());
            if (m.matches()) {
                double p = Double.parseDouble(m.group(1));
                if (p <= 100) {
                    return MaxRemove.percent(p);
                }
            }
        }
        ctx.value(path + ".max_remove", expected + describe(v));
        return MaxRemove.DEFAULT;
    }

    // ---- messages ----------------------------------------------------------------------------------

    private static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        if (v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "'" + v.textValue() + "'";
        }
        if (v.isArray()) {
            return "a list";
        }
        if (v.isObject()) {
            return "a mapping";
        }
        return v.toString();
    }

    /** " (did you mean 'daily'?)" for a near miss, else "". */
    static String suggestion(String key, List<String> allowed) {
        String best = null;
        int bestDist = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = distance(key.toLowerCase(Locale.ROOT).replace('-', '_'), a);
            if (d < bestDist) {
                bestDist = d;
                best = a;
            }
        }
        return best != null && bestDist <= Math.max(1, best.length() / 3) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---- collecting problems with their positions --------------------------------------------------

    private record Problem0(String path, String message) {
        PolicyException.Problem at(JsonLocation loc) {
            if (loc == null || loc.getLineNr() <= 0) {
                return new PolicyException.Problem(path, 0, 0, message);
            }
            return new PolicyException.Problem(path, loc.getLineNr(), loc.getColumnNr(), message);
        }
    }

    private static final class Ctx {
        private final Locations locations;
        private final List<PolicyException.Problem> problems = new ArrayList<>();

        Ctx(Locations locations) {
            this.locations = locations;
        }

        /** A problem with a key (reported at the key). */
        void key(String path, String message) {
            add(path, message, () -> locations.key(path).or(() -> locations.value(path)));
        }

        /** A problem with a value (reported at the value). */
        void value(String path, String message) {
            add(path, message, () -> locations.value(path).or(() -> locations.key(path)));
        }

        private void add(String path, String message, Supplier<Optional<int[]>> where) {
            Optional<int[]> loc = where.get();
            problems.add(new PolicyException.Problem(path, loc.map(l -> l[0]).orElse(0), loc.map(l -> l[1]).orElse(0),
                    message));
        }

        int count() {
            return problems.size();
        }

        boolean hasProblems() {
            return !problems.isEmpty();
        }

        void throwIfAny() throws PolicyException {
            if (!problems.isEmpty()) {
                throw new PolicyException(problems);
            }
        }
    }

    /** Line and column of every key and value of a YAML text, by path ({@code policies[1].daily}). */
    private static final class Locations {
        static final Locations NONE = new Locations(Map.of(), Map.of());

        private final Map<String, int[]> keys;
        private final Map<String, int[]> values;

        Locations(Map<String, int[]> keys, Map<String, int[]> values) {
            this.keys = keys;
            this.values = values;
        }

        Optional<int[]> key(String path) {
            return Optional.ofNullable(keys.get(path));
        }

        Optional<int[]> value(String path) {
            return Optional.ofNullable(values.get(path));
        }
    }

    /**
     * Builds the tree of a YAML text with the streaming parser and notes, on the way, where each
     * key and value starts: one pass (Jackson's trees carry no positions, and parsing twice, once
     * for the tree and once for the positions, doubled the cost). Only the first document is read.
     */
    private static final class TreeReader {
        private final YAMLParser p;
        private final Map<String, int[]> keys;
        private final Map<String, int[]> values;

        private TreeReader(YAMLParser p, Map<String, int[]> keys, Map<String, int[]> values) {
            this.p = p;
            this.keys = keys;
            this.values = values;
        }

        static JsonNode read(String yaml, Map<String, int[]> keys, Map<String, int[]> values) throws PolicyException {
            try (YAMLParser p = (YAMLParser) YAML.createParser(yaml)) {
                if (p.nextToken() == null) {
                    return null; // empty, or only comments
                }
                return new TreeReader(p, keys, values).node("");
            } catch (StreamConstraintsException e) {
                throw new PolicyException(List.of(new Problem0("(document)", "the document nests mappings and lists"
                        + " more than " + YamlLimits.MAX_DEPTH + " levels deep (a policy needs 5)").at(e.getLocation())));
            } catch (JsonProcessingException e) {
                throw new PolicyException(List.of(new Problem0("(document)", e.getOriginalMessage()).at(e.getLocation())));
            } catch (IOException | RuntimeException e) {
                // A String cannot fail to read; SnakeYAML's own limits raise unchecked YAMLExceptions.
                throw new PolicyException(List.of(new PolicyException.Problem("(document)", 0, 0,
                        "not valid YAML: " + e.getMessage())));
            }
        }

        private JsonNode node(String path) throws IOException {
            JsonNodeFactory f = JsonNodeFactory.instance;
            JsonLocation at = p.currentTokenLocation();
            values.putIfAbsent(path.isEmpty() ? "(document)" : path, pos(at));
            JsonToken t = p.currentToken();
            switch (t) {
                case START_OBJECT -> {
                    ObjectNode o = f.objectNode();
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        String child = path.isEmpty() ? name : path + "." + name;
                        keys.putIfAbsent(child, pos(p.currentTokenLocation()));
                        p.nextToken();
                        o.set(name, node(child));
                    }
                    return o;
                }
                case START_ARRAY -> {
                    ArrayNode a = f.arrayNode();
                    int i = 0;
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        a.add(node(path + "[" + i++ + "]"));
                    }
                    return a;
                }
                case VALUE_STRING -> {
                    if (p.isCurrentAlias()) {
                        throw new JsonParseException(p, "YAML aliases ('*" + p.getText() + "') are not allowed in a"
                                + " policy: write each value out in full (an alias or merge key would not be"
                                + " expanded, and alias chains are a known way to blow up a parser)", at);
                    }
                    return f.textNode(p.getText());
                }
                case VALUE_NUMBER_INT -> {
                    return switch (p.getNumberType()) {
                        case INT -> f.numberNode(p.getIntValue());
                        case LONG -> f.numberNode(p.getLongValue());
                        default -> f.numberNode(p.getBigIntegerValue());
                    };
                }
                case VALUE_NUMBER_FLOAT -> {
                    return f.numberNode(p.getDoubleValue());
                }
                case VALUE_TRUE, VALUE_FALSE -> {
                    return f.booleanNode(t == JsonToken.VALUE_TRUE);
                }
                case VALUE_NULL -> {
                    return f.nullNode();
                }
                case VALUE_EMBEDDED_OBJECT -> {
                    Object v = p.getEmbeddedObject();
                    return v instanceof byte[] b ? f.binaryNode(b) : f.pojoNode(v);
                }
                default -> throw new JsonParseException(p, "unexpected YAML token " + t, at);
            }
        }

        private static int[] pos(JsonLocation l) {
            return new int[] {l.getLineNr(), l.getColumnNr()};
        }
    }

    /** Recognises "7d"-like text where a count was expected, to say so. */
    private static final class PolicyDurationHint {
        static boolean looksLikeDuration(String s) {
            try {
                PolicyDuration.parse(s);
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
    }
}
