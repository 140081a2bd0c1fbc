package io.spendguard.proxy.estimate;

/**
 * Token counts of short texts — roles, names, tool call ids, streamed deltas — in a small table with
 * one entry per slot: a text goes to the slot its hash picks and replaces whatever was there. A
 * conversation resends the same few dozen of them on every turn, and BPE over a short text costs
 * about a microsecond (jtokkit's regex split, then a map look-up per piece), a look-up here tens of
 * nanoseconds.
 *
 * <p>The table is bounded by its slots ({@value #SLOTS}, texts under {@link TokenCounter#CACHED_MIN_CHARS}
 * characters: well under a megabyte) and never grows. A hit compares the whole text, so a count is only
 * ever the count of that very text; texts whose hashes meet only push each other out. Event loops share
 * it without locks: an entry is immutable, so a read sees a whole entry, old or new.
 */
final class ShortCounts {
    static final int SLOTS = 4096;

    private record Entry(String text, int count) { }

    private final Entry[] slots = new Entry[SLOTS];

    /** The count kept for {@code text}, or -1 when it has none. */
    int get(String text) {
        Entry e = slots[slot(text)];
        return e != null && e.text.equals(text) ? e.count : -1;
    }

    void put(String text, int count) {
        slots[slot(text)] = new Entry(text, count);
    }

    private static int slot(String text) {
        int h = text.hashCode();
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
