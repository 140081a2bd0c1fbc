package io.spendguard.proxy.ledger.memory;

import io.spendguard.proxy.audit.AuditChain;
import io.spendguard.proxy.audit.AuditRecord;
import io.spendguard.proxy.audit.Canonical;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The newest records of an in-memory chain, at most {@code capacity} of them. Their canonical bodies
 * are packed into large byte segments with a few arrays beside them rather than kept as objects per
 * record: records live for seconds to minutes, and tens of thousands of such objects would be copied
 * by every young collection (pauses of 20–90 ms under load); a handful of large arrays costs the
 * collector next to nothing. A record is rebuilt when it is read, its hash being its body's SHA-256.
 * Not thread-safe: {@link MemoryAudit} uses it from its own thread only.
 */
final class KeptRecords {
    private static final int SEGMENT_BYTES = 1 << 20;
    private static final int SEGMENT_RECORDS = 4096;

    /** What one signature covers: the records sealed together share it, their time and their signed seq. */
    record Seal(long signedSeq, String signature, Instant time) { }

    private static final class Segment {
        final long firstSeq;
        final byte[] bytes;
        final int[] ends = new int[SEGMENT_RECORDS];
        final String[] budgetIds = new String[SEGMENT_RECORDS];
        final Seal[] seals = new Seal[SEGMENT_RECORDS];
        int count;

        Segment(long firstSeq, int size) {
            this.firstSeq = firstSeq;
            this.bytes = new byte[size];
        }

        boolean fits(int length) {
            return count < SEGMENT_RECORDS && used() + length <= bytes.length;
        }

        int used() {
            return count == 0 ? 0 : ends[count - 1];
        }

        int start(int i) {
            return i == 0 ? 0 : ends[i - 1];
        }

        long lastSeq() {
            return firstSeq + count - 1;
        }

        AuditRecord record(int i) {
            int from = start(i);
            int length = ends[i] - from;
            return new AuditRecord(firstSeq + i, new String(bytes, from, length, StandardCharsets.UTF_8),
                    Canonical.sha256Hex(bytes, from, length), seals[i].signedSeq(), seals[i].signature());
        }
    }

    private final int capacity;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    /** Records below this seq are no longer kept (their segment may linger until all of it is dropped). */
    private long firstKept = 1;
    private long nextSeq = 1;

    KeptRecords(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity: " + capacity);
        }
        this.capacity = capacity;
    }

    /** Keeps {@code r}, the chain's next record, and drops the oldest one if that makes more than {@code capacity}. */
    void add(AuditRecord r, String budgetId, Seal seal) {
        if (r.seq() != nextSeq) {
            throw new IllegalStateException("record " + r.seq() + " is not the next one (" + nextSeq + ")");
        }
        byte[] body = r.body().getBytes(StandardCharsets.UTF_8);
        Segment s = segments.peekLast();
        if (s == null || !s.fits(body.length)) {
            s = new Segment(r.seq(), Math.max(SEGMENT_BYTES, body.length));
            segments.addLast(s);
        }
        int from = s.used();
        System.arraycopy(body, 0, s.bytes, from, body.length);
        s.ends[s.count] = from + body.length;
        s.budgetIds[s.count] = budgetId;
        s.seals[s.count] = seal;
        s.count++;
        nextSeq = r.seq() + 1;
        firstKept = Math.max(firstKept, nextSeq - capacity);
        // keep the record just before the oldest kept one: start() needs its hash
        while (segments.size() > 1 && segments.peekFirst().lastSeq() < firstKept - 1) {
            segments.removeFirst();
        }
    }

    /** Kept records with {@code seq > afterSeq}, of {@code budgetId} (null: any), sealed at or after {@code since} (null: any). */
    List<AuditRecord> read(long afterSeq, String budgetId, Instant since, int limit) {
        List<AuditRecord> out = new ArrayList<>();
        for (Segment s : segments) {
            if (out.size() == limit) {
                break;
            }
            if (s.lastSeq() <= afterSeq) {
                continue;
            }
            int from = (int) Math.max(0, Math.max(afterSeq + 1, firstKept) - s.firstSeq);
            for (int i = from; i < s.count && out.size() < limit; i++) {
                if ((budgetId == null || budgetId.equals(s.budgetIds[i]))
                        && (since == null || !s.seals[i].time().isBefore(since))) {
                    out.add(s.record(i));
                }
            }
        }
        return out;
    }

    /** The head just before the oldest kept record: where verification of what is kept starts. */
    AuditChain.Head start() {
        for (Segment s : segments) {
            long seq = firstKept - 1;
            if (seq >= s.firstSeq && seq <= s.lastSeq()) {
                return new AuditChain.Head(seq, s.record((int) (seq - s.firstSeq)).hash());
            }
        }
        return AuditChain.GENESIS;
    }
}
