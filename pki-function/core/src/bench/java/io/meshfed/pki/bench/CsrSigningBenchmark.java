package io.meshfed.pki.bench;

import io.meshfed.pki.audit.InMemoryAuditStore;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.TestPki;
import java.security.Provider;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole check-and-sign path of csr.submitted, one thread: request checks, PEM and DER parsing, the CSR's
 * self-signature verification, cluster lookup, policy checks, signing the intermediate, the audit record.
 * The CSR's key has the root's algorithm, so the path costs one verify and one sign of that algorithm, which
 * is what {@code openssl speed} is compared against. Every call uses a fresh request id (no replay).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class CsrSigningBenchmark {
    @Param({"ECDSA_P256", "RSA_2048", "RSA_4096"})
    public KeyAlgorithm root;

    @Param({"jdk", "bc", "conscrypt"})
    public String provider;

    private CsrSigningService service;
    private String csr;
    private long sequence;

    static Provider provider(String name) {
        return io.meshfed.pki.signing.CryptoProviders.named(name);
    }

    @Setup(Level.Iteration)
    public void setUp() {
        java.util.logging.Logger.getLogger("io.meshfed").setLevel(java.util.logging.Level.WARNING);
        InMemoryClusterStore clusters = new InMemoryClusterStore().register("east", "east.example.org");
        CaState state = CaState.of(TestPki.root(root, "bench root"));
        Provider p = provider(provider);
        // The production authenticator: its first review goes to the scripted API server, every later one is a
        // cache hit, as for an agent renewing with the same token.
        service = new CsrSigningService(TestPki.authenticator(clusters, TestPki.apiServersKnowingTheAgent()),
                clusters, new CsrChecks(SigningPolicy.defaults(), p),
                new IntermediateSigner(p, new SecureRandom()), () -> state, new InMemoryAuditStore(),
                Clock.systemUTC());
        csr = Csrs.istioIntermediate(Csrs.keys(root), "east.example.org");
    }

    @Benchmark
    public SigningOutcome checkAndSign() {
        SigningOutcome outcome = service.handle(TestPki.submitted("east", csr, "bench-" + (sequence++)), "bench");
        if (!(outcome instanceof SigningOutcome.Signed)) {
            throw new IllegalStateException("benchmark CSR was rejected: " + outcome);
        }
        return outcome;
    }
}
