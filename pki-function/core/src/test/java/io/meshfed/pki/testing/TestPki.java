package io.meshfed.pki.testing;

import io.meshfed.pki.audit.InMemoryAuditStore;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.RootCa;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningPolicy;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;

/** A complete signing service over in-memory stores, for tests. */
public final class TestPki {
    public final InMemoryClusterStore clusters = new InMemoryClusterStore();
    public final InMemoryAuditStore audit = new InMemoryAuditStore();
    public final AtomicReference<CaState> state;
    public final CsrSigningService service;

    public TestPki(CertificateAuthority root, SigningPolicy policy) {
        state = new AtomicReference<>(CaState.of(root));
        service = new CsrSigningService(new CsrChecks(policy, clusters, null),
                new IntermediateSigner(null, new SecureRandom()), state::get, audit, Clock.systemUTC());
    }

    public static TestPki withRoot(KeyAlgorithm algorithm) {
        return new TestPki(root(algorithm, "meshfed test root"), SigningPolicy.defaults());
    }

    public static CertificateAuthority root(KeyAlgorithm algorithm, String name) {
        return RootCa.generate(algorithm, name, RootCa.DEFAULT_LIFETIME, Clock.systemUTC(), new SecureRandom());
    }
}
