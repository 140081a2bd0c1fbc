package io.spendguard.proxy.estimate;

import java.util.Arrays;

/**
 * Finds the stretches of a text that the BPE pre-tokenisers (cl100k and o200k) could turn into one
 * very long piece. Their pieces are: letters and combining marks (with at most one leading
 * character and a short contraction), at most three digits, or characters that are neither letters
 * nor digits (punctuation, symbols, marks, whitespace and newlines). So a piece is at most a few
 * characters longer than the longest run of letters-or-marks, or of non-letters-non-digits, around
 * it; a text without a long run of either has no long piece.
 */
final class LongRuns {
    private static final int[] NONE = new int[0];

    private LongRuns() { }

    /**
     * The runs of {@code text} longer than {@code maxBytes} UTF-8 bytes, as sorted, disjoint
     * {@code [start, end)} char offsets in pairs ({@code start0, end0, start1, end1, …}), on code point
     * boundaries; empty when there is none (the common case, with no allocation).
     */
    static int[] find(String text, int maxBytes) {
        int[] out = NONE;
        int count = 0;
        int letters = -1;
        long letterBytes = 0;
        int others = -1;
        long otherBytes = 0;
        int n = text.length();
        for (int i = 0; i < n; ) {
            int cp = text.codePointAt(i);
            int width = Character.charCount(cp);
            int bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            int type = Character.getType(cp);
            boolean letter = isLetter(type);
            boolean mark = isMark(type);
            boolean number = isNumber(type);
            if (letter || mark) {
                if (letters < 0) {
                    letters = i;
                    letterBytes = 0;
                }
                letterBytes += bytes;
            } else if (letters >= 0) {
                if (letterBytes > maxBytes) {
                    out = add(out, count, letters, i);
                    count += 2;
                }
                letters = -1;
            }
            if (!letter && !number) {
                if (others < 0) {
                    others = i;
                    otherBytes = 0;
                }
                otherBytes += bytes;
            } else if (others >= 0) {
                if (otherBytes > maxBytes) {
                    out = add(out, count, others, i);
                    count += 2;
                }
                others = -1;
            }
            i += width;
        }
        if (letters >= 0 && letterBytes > maxBytes) {
            out = add(out, count, letters, n);
            count += 2;
        }
        if (others >= 0 && otherBytes > maxBytes) {
            out = add(out, count, others, n);
            count += 2;
        }
        return count == 0 ? NONE : merge(out, count);
    }

    private static int[] add(int[] runs, int count, int start, int end) {
        int[] out = count + 2 <= runs.length ? runs : Arrays.copyOf(runs, Math.max(8, runs.length * 2));
        out[count] = start;
        out[count + 1] = end;
        return out;
    }

    /**
     * Sorts the runs by start and joins those that overlap or touch (a letters run and an other run
     * overlap only on combining marks).
     */
    private static int[] merge(int[] runs, int count) {
        int pairs = count / 2;
        long[] byStart = new long[pairs];
        for (int p = 0; p < pairs; p++) {
            byStart[p] = ((long) runs[2 * p] << 32) | runs[2 * p + 1];
        }
        Arrays.sort(byStart);
        int[] out = new int[count];
        int used = 0;
        for (long run : byStart) {
            int start = (int) (run >>> 32);
            int end = (int) run;
            if (used > 0 && start <= out[used - 1]) {
                out[used - 1] = Math.max(out[used - 1], end);
            } else {
                out[used++] = start;
                out[used++] = end;
            }
        }
        return used == count ? out : Arrays.copyOf(out, used);
    }

    private static boolean isLetter(int type) {
        return type == Character.UPPERCASE_LETTER || type == Character.LOWERCASE_LETTER || type == Character.TITLECASE_LETTER
                || type == Character.MODIFIER_LETTER || type == Character.OTHER_LETTER;
    }

    private static boolean isMark(int type) {
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.COMBINING_SPACING_MARK;
    }

    private static boolean isNumber(int type) {
        return type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
    }
}
