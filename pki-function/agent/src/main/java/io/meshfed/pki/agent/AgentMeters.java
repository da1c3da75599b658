package io.meshfed.pki.agent;

import io.meshfed.pki.ca.Certificates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's series (docs/observability.md): {@code meshfed_agent_csr_requests_total{outcome}} (every outcome at
 * zero from the start), {@code meshfed_agent_cacerts_writes_total}, and
 * {@code meshfed_certificate_expiry_timestamp_seconds{role,cluster}} of the installed chain: its root (the
 * self-signed end of the chain, or the trust bundle's active root), the signing CA that issued the intermediate,
 * and the intermediate; NaN while nothing valid is installed. Also what readiness asks: is a valid intermediate
 * installed now. Written by the reconcile thread, read by scrapes and probes.
 */
public final class AgentMeters implements AgentRecorder {
    /** notAfter of root, signing CA and intermediate, in that order; null while nothing valid is installed. */
    private volatile Instant[] expiry;
    private final Map<Outcome, Counter> requests = new EnumMap<>(Outcome.class);
    private final Counter writes;
    private final Clock clock;

    public AgentMeters(MeterRegistry registry, String cluster, Clock clock) {
        this.clock = clock;
        for (Outcome outcome : Outcome.values()) {
            requests.put(outcome, Counter.builder("meshfed.agent.csr.requests")
                    .description("CSRs the agent sent and how they ended").tag("outcome", outcome.label())
                    .register(registry));
        }
        writes = Counter.builder("meshfed.agent.cacerts.writes").description("times the agent wrote Istio's cacerts")
                .register(registry);
        String[] roles = {"root", "signing", "intermediate"};
        for (int i = 0; i < roles.length; i++) {
            int index = i;
            Gauge.builder("meshfed.certificate.expiry.timestamp.seconds", this, m -> m.expirySeconds(index))
                    .description("notAfter as Unix seconds").tag("role", roles[i]).tag("cluster", cluster)
                    .strongReference(true).register(registry);
        }
    }

    private double expirySeconds(int index) {
        Instant[] current = expiry;
        return current == null ? Double.NaN : current[index].getEpochSecond();
    }

    @Override
    public void request(Outcome outcome) {
        requests.get(outcome).increment();
    }

    @Override
    public void cacertsWritten() {
        writes.increment();
    }

    @Override
    public void installed(List<X509Certificate> chain, List<X509Certificate> roots) {
        X509Certificate intermediate = chain.get(0);
        X509Certificate top = chain.get(chain.size() - 1);
        X509Certificate root = Certificates.isSelfSigned(top) ? top : roots.get(0);
        X509Certificate signing = chain.size() > 1 ? chain.get(1) : root;
        expiry = new Instant[] {notAfter(root), notAfter(signing), notAfter(intermediate)};
    }

    @Override
    public void nothingValidInstalled() {
        expiry = null;
    }

    /** The installed intermediate's notAfter if one is installed and not yet expired, else null. */
    public Instant validUntil() {
        Instant[] current = expiry;
        return current == null || !clock.instant().isBefore(current[2]) ? null : current[2];
    }

    private static Instant notAfter(X509Certificate certificate) {
        return certificate.getNotAfter().toInstant();
    }
}
