package dev.cairn.gc.policy;

/**
 * The {@code max_remove} brake: how many checkpoints one trim may remove from a series without
 * {@code force}. Either an absolute count ({@code max_remove: 20}) or a percentage of the series'
 * checkpoints at trim time ({@code max_remove: "50%"}), rounded down, so that a one-checkpoint series
 * at 50% may remove nothing.
 *
 * <p>The default is {@code 50%}. In steady state (trim after every put, or daily) a sensible policy
 * removes a small share of a series per run: one checkpoint per put, or a day's worth of hourly ones
 * out of many weeks of history. Removing more than half of a series in one run is what a wrong policy
 * (a typo turning {@code last: 100} into {@code last: 1}), a wrong glob, or a clock jump looks like;
 * it is also what legitimately happens the first time a policy is applied to a long history, and then
 * the operator should look at the dry run and pass {@code --force}. Half is the largest share that
 * still stops every "keep almost nothing" mistake.
 *
 * @param count   the absolute limit, or -1 if this is a percentage
 * @param percent the percentage limit in [0, 100], or NaN if this is a count
 * @param text    as written, for messages
 */
public record MaxRemove(long count, double percent, String text) {

    public static final MaxRemove DEFAULT = percent(50);

    public MaxRemove {
        boolean isCount = count >= 0 && Double.isNaN(percent);
        boolean isPercent = count == -1 && percent >= 0 && percent <= 100;
        if (!isCount && !isPercent) {
            throw new IllegalArgumentException("max_remove must be a count >= 0 or a percentage in [0, 100]");
        }
    }

    public static MaxRemove count(long n) {
        return new MaxRemove(n, Double.NaN, Long.toString(n));
    }

    public static MaxRemove percent(double p) {
        String t = (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p)) + "%";
        return new MaxRemove(-1, p, t);
    }

    /** How many removals this limit allows in a series of {@code seriesSize} checkpoints. */
    public long limitFor(int seriesSize) {
        if (count >= 0) {
            return count;
        }
        return (long) Math.floor(seriesSize * percent / 100.0 + 1e-9);
    }

    @Override
    public String toString() {
        return text;
    }
}
