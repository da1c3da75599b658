package io.meshfed.pki.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.Random;

/** Exponential backoff with ±20 % jitter between {@code initial} and {@code max}. Not thread-safe. */
final class Backoff {
    private final Duration initial;
    private final Duration max;
    private final Random jitter;
    private int failures;

    Backoff(Duration initial, Duration max, Random jitter) {
        this.initial = initial;
        this.max = max;
        this.jitter = jitter;
    }

    /** Counts a failure; returns when to try again. */
    Instant next(Instant now) {
        failures++;
        long base = initial.toMillis() << Math.min(failures - 1, 20);
        long capped = Math.min(base, max.toMillis());
        long withJitter = (long) (capped * (0.8 + 0.4 * jitter.nextDouble()));
        return now.plusMillis(Math.max(1, withJitter));
    }

    void reset() {
        failures = 0;
    }

    /** Consecutive failures so far (0 after a success). */
    int failures() {
        return failures;
    }
}
