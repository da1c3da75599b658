package io.meshfed.xds.app;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once every catalog is loaded from the store and the ADS port accepts streams: before that, an
 * istiod that connects would get empty config. Knative's readiness probe reads it at /q/health/ready.
 */
@Readiness
@ApplicationScoped
public class AdsReadiness implements HealthCheck {
    private final XdsListener listener;

    AdsReadiness(XdsListener listener) {
        this.listener = listener;
    }

    @Override
    public HealthCheckResponse call() {
        return listener.listening()
                ? HealthCheckResponse.named("ads").up().withData("port", listener.port()).build()
                : HealthCheckResponse.named("ads").down().build();
    }
}
