package io.meshfed.pki.agent;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the cluster's {@code cacerts} holds a valid intermediate whose chain verifies (as the agent last read
 * or wrote it) and it has not expired: istiod can start signing workload certificates. Not ready before the first
 * certificate, and again if the installed material becomes unusable. An agent switched off is ready.
 */
@Readiness
@ApplicationScoped
public class AgentReadiness implements HealthCheck {
    @Inject
    AgentRunner runner;

    @Override
    public HealthCheckResponse call() {
        AgentMeters meters = runner.meters();
        if (meters == null) {
            return HealthCheckResponse.named("cacerts").up().withData("agent", "disabled").build();
        }
        Instant until = meters.validUntil();
        return until == null ? HealthCheckResponse.named("cacerts").down().withData("installed", "none valid").build()
                : HealthCheckResponse.named("cacerts").up().withData("validUntil", until.toString()).build();
    }
}
