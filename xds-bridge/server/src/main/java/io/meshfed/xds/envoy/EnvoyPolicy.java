package io.meshfed.xds.envoy;

import java.time.Duration;

/**
 * Tunables of the Envoy resources the bridge generates. Defaults follow Envoy's and Istio's: retry budget 20% with
 * at least 3 concurrent retries, 5 consecutive 5xx eject a host for 30 s, and a catalog stale for longer than
 * {@code staleGrace} has its endpoints marked unhealthy so traffic fails over instead of black-holing.
 */
public record EnvoyPolicy(Duration connectTimeout, int consecutive5xx, Duration ejectionInterval,
        Duration baseEjectionTime, int maxEjectionPercent, double retryBudgetPercent, int minRetryConcurrency,
        Duration staleGrace) {

    public static final EnvoyPolicy DEFAULT = new EnvoyPolicy(Duration.ofSeconds(5), 5, Duration.ofSeconds(10),
            Duration.ofSeconds(30), 100, 20.0, 3, Duration.ofMinutes(5));

    public EnvoyPolicy {
        if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("maxEjectionPercent must be 0..100, got " + maxEjectionPercent);
        }
        if (retryBudgetPercent < 0 || retryBudgetPercent > 100) {
            throw new IllegalArgumentException("retryBudgetPercent must be 0..100, got " + retryBudgetPercent);
        }
    }
}
