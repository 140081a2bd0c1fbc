package io.spendguard.proxy.engine;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjusters;

/** The spend window containing an instant: {@code [start, end)}; {@code none} has no bounds (nulls). */
public record BudgetWindow(Instant start, Instant end) {
    public static final BudgetWindow UNBOUNDED = new BudgetWindow(null, null);

    static void validate(String window, String timezone) {
        switch (window) {
            case "none", "daily", "weekly", "monthly" -> { }
            default -> throw new IllegalArgumentException("window: " + window + " (expected one of: none, daily, weekly, monthly)");
        }
        try {
            ZoneId.of(timezone);
        } catch (java.time.DateTimeException | NullPointerException e) {
            throw new IllegalArgumentException("timezone: " + timezone + " (expected: an IANA time zone)");
        }
    }

    public static BudgetWindow of(String window, String timezone, Instant now) {
        if (window.equals("none")) {
            return UNBOUNDED;
        }
        ZoneId zone = ZoneId.of(timezone);
        LocalDate today = now.atZone(zone).toLocalDate();
        LocalDate start = switch (window) {
            case "daily" -> today;
            case "weekly" -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            default -> today.withDayOfMonth(1);
        };
        LocalDate end = switch (window) {
            case "daily" -> start.plusDays(1);
            case "weekly" -> start.plusWeeks(1);
            default -> start.plusMonths(1);
        };
        ZonedDateTime s = start.atStartOfDay(zone);
        return new BudgetWindow(s.toInstant(), end.atStartOfDay(zone).toInstant());
    }

    /** Whole seconds from {@code now} to the reset, at least 1; null for an unbounded window. */
    public Long secondsToReset(Instant now) {
        return end == null ? null : Math.max(1, (end.toEpochMilli() - now.toEpochMilli() + 999) / 1000);
    }
}
