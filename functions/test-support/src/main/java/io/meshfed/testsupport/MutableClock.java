package io.meshfed.testsupport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand (UTC). Not thread-safe: tests set it between the steps they drive. */
public final class MutableClock extends Clock {
    private Instant now;

    /** Starts at {@code now}. */
    public MutableClock(Instant now) {
        this.now = now;
    }

    /** Starts at the current time. */
    public MutableClock() {
        this(Instant.now());
    }

    public void advance(Duration duration) {
        now = now.plus(duration);
    }

    public void set(Instant instant) {
        now = instant;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
