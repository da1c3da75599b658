package io.meshfed.pki.function;

import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.signing.CsrPurpose;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * The PKI function's series (docs/observability.md): {@code meshfed_csr_signed_total{cluster}} (intermediates
 * issued), {@code meshfed_csr_rejected_total{reason}} (every reason, at zero from the start), and
 * {@code meshfed_certificate_expiry_timestamp_seconds{role,cluster}}: the root and the signing CA of the CA state this
 * instance last loaded ({@code cluster} empty), and each cluster's intermediate as last answered (issued or
 * replayed to a refreshing agent). Thread-safe.
 */
final class PkiMeters implements SigningRecorder {
    static final String EXPIRY = "meshfed.certificate.expiry.timestamp.seconds";

    private final MeterRegistry registry;
    private final AtomicReference<CaState> state = new AtomicReference<>();
    private final Map<String, Instant> intermediates = new ConcurrentHashMap<>();
    private final Map<RejectionReason, Counter> rejected = new java.util.EnumMap<>(RejectionReason.class);

    PkiMeters(MeterRegistry registry) {
        this.registry = registry;
        for (RejectionReason reason : RejectionReason.values()) {
            rejected.put(reason, Counter.builder("meshfed.csr.rejected").description("CSRs refused")
                    .tag("reason", reason.name()).register(registry));
        }
        expiry("root", "", s -> notAfter(state.get() == null ? null : state.get().signer().root()));
        expiry("signing", "", s -> notAfter(state.get() == null ? null : state.get().signer().certificate()));
    }

    /** The CA state the function signs with now; its root and signing CA are what the gauges show. */
    CaState loaded(CaState current) {
        state.set(current);
        return current;
    }

    @Override
    public void signed(String cluster, CsrPurpose purpose, Instant notAfter, boolean replay) {
        if (purpose != CsrPurpose.INTERMEDIATE_CA) {
            return; // xDS clients' day-long leaf certificates are not CA material
        }
        if (!replay) {
            Counter.builder("meshfed.csr.signed").description("intermediates signed").tag("cluster", cluster)
                    .register(registry).increment();
        }
        if (intermediates.put(cluster, notAfter) == null) {
            expiry("intermediate", cluster, s -> intermediates.get(cluster).getEpochSecond());
        }
    }

    @Override
    public void rejected(RejectionReason reason) {
        rejected.get(reason).increment();
    }

    private void expiry(String role, String cluster, ToDoubleFunction<Object> value) {
        Gauge.builder(EXPIRY, this, value::applyAsDouble).description("notAfter as Unix seconds").strongReference(true)
                .tag("role", role).tag("cluster", cluster).register(registry);
    }

    private static double notAfter(java.security.cert.X509Certificate certificate) {
        return certificate == null ? Double.NaN : certificate.getNotAfter().toInstant().getEpochSecond();
    }
}
