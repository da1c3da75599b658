package io.meshfed.pki.function;

import io.meshfed.pki.signing.CsrSigningService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready once the CA material is loaded (or, on the very first start, generated and stored): the signing service
 * is built from it, so a probe that finds the store unreachable or the material invalid answers DOWN with the reason,
 * and the next probe tries again. Once built, the service is kept and the probe costs nothing.
 */
@Readiness
@ApplicationScoped
public class PkiReadiness implements HealthCheck {
    @Inject
    Instance<CsrSigningService> service;

    @Override
    public HealthCheckResponse call() {
        try {
            service.get().metrics();
            return HealthCheckResponse.up("ca-material");
        } catch (RuntimeException e) {
            return HealthCheckResponse.named("ca-material").down().withData("reason", e.getClass().getSimpleName())
                    .build();
        }
    }
}
