package io.meshfed.wasm.sdk;

/**
 * A filter's failures (host calls that failed, input it could not use): every one is counted in a
 * counter, and the 1st, 2nd, 4th, 8th ... are logged at WARN with the count so far, so that a flood of
 * hostile requests is visible without flooding the proxy's log. One per plugin configuration; called on
 * the VM's single thread only.
 */
public final class Failures {
    private final Host host;
    private final String filter;
    private final int metric;
    private long count;

    /** Defines the counter {@code metricName}. */
    public Failures(Host host, String filter, String metricName) {
        this.host = host;
        this.filter = filter;
        this.metric = host.defineMetric(MetricType.COUNTER, metricName);
    }

    /** Counts one failure: {@code what} failed, and {@code outcome} is what the filter did instead. */
    public void record(String what, String reason, String outcome) {
        count++;
        host.incrementMetric(metric, 1);
        if ((count & (count - 1)) == 0) {
            host.log(LogLevel.WARN, filter + ": " + what + " failed (" + reason + "); " + outcome + " [failure " + count
                    + " of this VM; logged at powers of two]");
        }
    }

    /** {@link #record(String, String, String)} with an exception's message as the reason. */
    public void record(String what, RuntimeException cause, String outcome) {
        record(what, cause.getMessage() == null ? "no detail" : cause.getMessage(), outcome);
    }
}
