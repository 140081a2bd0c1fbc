package io.spendguard.proxy.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetWindowTest {

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    @Test
    void dailyUtcWindowIsTheCalendarDay() {
        BudgetWindow w = BudgetWindow.of("daily", "UTC", at("2024-03-15T13:45:10Z"));

        assertThat(w.start()).isEqualTo(at("2024-03-15T00:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-03-16T00:00:00Z"));
    }

    @Test
    void dailyWindowStartInstantBelongsToThatDayAndEndToTheNext() {
        assertThat(BudgetWindow.of("daily", "UTC", at("2024-03-15T00:00:00Z")).start()).isEqualTo(at("2024-03-15T00:00:00Z"));
        assertThat(BudgetWindow.of("daily", "UTC", at("2024-03-15T23:59:59.999Z")).end()).isEqualTo(at("2024-03-16T00:00:00Z"));
        assertThat(BudgetWindow.of("daily", "UTC", at("2024-03-16T00:00:00Z")).start()).isEqualTo(at("2024-03-16T00:00:00Z"));
    }

    @Test
    void weeklyUtcWindowRunsMondayToMonday() {
        // 2024-03-15 is a Friday
        BudgetWindow w = BudgetWindow.of("weekly", "UTC", at("2024-03-15T13:00:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-03-11T00:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-03-18T00:00:00Z"));
    }

    @Test
    void weeklyWindowOnMondayStartsThatDayAndOnSundayTheMondayBefore() {
        assertThat(BudgetWindow.of("weekly", "UTC", at("2024-03-18T00:00:00Z")).start()).isEqualTo(at("2024-03-18T00:00:00Z"));
        assertThat(BudgetWindow.of("weekly", "UTC", at("2024-03-17T23:59:59Z")).start()).isEqualTo(at("2024-03-11T00:00:00Z"));
    }

    @Test
    void weeklyWindowCrossesMonthAndYear() {
        // 2024-12-31 is a Tuesday
        BudgetWindow w = BudgetWindow.of("weekly", "UTC", at("2025-01-02T08:00:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-12-30T00:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2025-01-06T00:00:00Z"));
    }

    @Test
    void monthlyUtcWindowIsTheCalendarMonth() {
        BudgetWindow leap = BudgetWindow.of("monthly", "UTC", at("2024-02-29T23:00:00Z"));
        BudgetWindow december = BudgetWindow.of("monthly", "UTC", at("2024-12-31T23:59:59Z"));

        assertThat(leap.start()).isEqualTo(at("2024-02-01T00:00:00Z"));
        assertThat(leap.end()).isEqualTo(at("2024-03-01T00:00:00Z"));
        assertThat(december.start()).isEqualTo(at("2024-12-01T00:00:00Z"));
        assertThat(december.end()).isEqualTo(at("2025-01-01T00:00:00Z"));
    }

    @Test
    void dailyWindowFollowsLocalMidnightInNonUtcZone() {
        // 03:00Z on the 15th is 23:00 on the 14th in New York (EDT, UTC-4)
        BudgetWindow w = BudgetWindow.of("daily", "America/New_York", at("2024-03-15T03:00:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-03-14T04:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-03-15T04:00:00Z"));
    }

    @Test
    void monthlyWindowInTokyoStartsBeforeUtcMonth() {
        // 16:00Z on Jan 31 is 01:00 on Feb 1 in Tokyo (UTC+9)
        BudgetWindow w = BudgetWindow.of("monthly", "Asia/Tokyo", at("2024-01-31T16:00:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-01-31T15:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-02-29T15:00:00Z"));
    }

    @Test
    void weeklyWindowInNonUtcZoneUsesLocalMonday() {
        // 23:30Z Sunday 2024-03-17 is already Monday 00:30 in Paris (CET, UTC+1)
        BudgetWindow w = BudgetWindow.of("weekly", "Europe/Paris", at("2024-03-17T23:30:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-03-17T23:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-03-24T23:00:00Z"));
    }

    @Test
    void dailyWindowOnDstChangeIsTwentyThreeHours() {
        // Europe/Paris springs forward on 2024-03-31: CET (UTC+1) → CEST (UTC+2)
        BudgetWindow w = BudgetWindow.of("daily", "Europe/Paris", at("2024-03-31T12:00:00Z"));

        assertThat(w.start()).isEqualTo(at("2024-03-30T23:00:00Z"));
        assertThat(w.end()).isEqualTo(at("2024-03-31T22:00:00Z"));
        assertThat(Duration.between(w.start(), w.end())).isEqualTo(Duration.ofHours(23));
    }

    @Test
    void noneWindowIsUnbounded() {
        BudgetWindow w = BudgetWindow.of("none", "UTC", at("2024-03-15T13:45:10Z"));

        assertThat(w).isEqualTo(BudgetWindow.UNBOUNDED);
        assertThat(w.start()).isNull();
        assertThat(w.end()).isNull();
        assertThat(w.secondsToReset(at("2024-03-15T13:45:10Z"))).isNull();
    }

    @Test
    void secondsToResetCountsWholeSecondsRoundedUp() {
        BudgetWindow w = BudgetWindow.of("daily", "UTC", at("2024-03-15T13:45:10Z"));

        assertThat(w.secondsToReset(at("2024-03-15T13:45:10Z"))).isEqualTo(10 * 3600 + 14 * 60 + 50);
        assertThat(w.secondsToReset(at("2024-03-15T23:58:30Z"))).isEqualTo(90);
        assertThat(w.secondsToReset(at("2024-03-15T23:59:58.500Z"))).isEqualTo(2);
        assertThat(w.secondsToReset(at("2024-03-15T00:00:00Z"))).isEqualTo(86_400);
    }

    @Test
    void secondsToResetIsAtLeastOne() {
        BudgetWindow w = BudgetWindow.of("daily", "UTC", at("2024-03-15T13:45:10Z"));

        assertThat(w.secondsToReset(at("2024-03-15T23:59:59.999Z"))).isEqualTo(1);
        assertThat(w.secondsToReset(at("2024-03-16T00:00:00Z"))).isEqualTo(1);
        assertThat(w.secondsToReset(at("2024-03-17T00:00:00Z"))).isEqualTo(1);
    }

    @Test
    void budgetSpecRejectsUnknownWindowAndZone() {
        assertThatThrownBy(() -> new BudgetSpec("b", 1, "hourly", "UTC", null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("window: hourly");
        assertThatThrownBy(() -> new BudgetSpec("b", 1, "daily", "Mars/Olympus", null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timezone: Mars/Olympus");
        assertThatThrownBy(() -> new BudgetSpec("b", 1, "daily", null, null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timezone");
    }
}
