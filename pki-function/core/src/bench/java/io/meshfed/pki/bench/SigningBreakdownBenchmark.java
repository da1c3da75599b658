package io.meshfed.pki.bench;

import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.TestPki;
import java.security.KeyPair;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Where the time of the ECDSA P-256 path goes: the raw primitives (one sign, one verify of a CSR-sized
 * message) against the parts of the path (authenticating the agent from the TokenReview cache; all checks including
 * the CSR verify; building and signing the certificate).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class SigningBreakdownBenchmark {
    @Param({"jdk", "bc", "conscrypt"})
    public String provider;

    private CsrChecks checks;
    private TokenReviewAuthenticator authenticator;
    private io.meshfed.model.MeshCluster cluster;
    private IntermediateSigner signer;
    private CertificateAuthority authority;
    private CsrSubmitted request;
    private CsrChecks.Accepted accepted;
    private KeyPair keys;
    private byte[] message;
    private byte[] signature;
    private Provider p;

    @Setup
    public void setUp() throws Exception {
        p = CsrSigningBenchmark.provider(provider);
        cluster = InMemoryClusterStore.clusterWithApiAccess("east", "east.example.org");
        checks = new CsrChecks(SigningPolicy.defaults(), p);
        InMemoryClusterStore clusters = new InMemoryClusterStore().register("east", "east.example.org");
        authenticator = TestPki.authenticator(clusters, TestPki.apiServersKnowingTheAgent());
        authenticator.authenticate(cluster, TestPki.AGENT_TOKEN);
        signer = new IntermediateSigner(p, new SecureRandom());
        authority = TestPki.root(KeyAlgorithm.ECDSA_P256, "bench root");
        request = TestPki.submitted("east", Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256),
                "east.example.org"), "bench");
        accepted = checks.check(request, cluster).accepted().orElseThrow();
        keys = Csrs.keys(KeyAlgorithm.ECDSA_P256);
        message = new byte[400];
        new SecureRandom().nextBytes(message);
        signature = rawSign();
    }

    private Signature instance() throws Exception {
        return p == null ? Signature.getInstance("SHA256withECDSA") : Signature.getInstance("SHA256withECDSA", p);
    }

    @Benchmark
    public byte[] rawSign() throws Exception {
        Signature s = instance();
        s.initSign(keys.getPrivate());
        s.update(message);
        return s.sign();
    }

    @Benchmark
    public boolean rawVerify() throws Exception {
        Signature s = instance();
        s.initVerify(keys.getPublic());
        s.update(message);
        return s.verify(signature);
    }

    /** What authentication adds to each sign once the agent's token is cached: a digest and a map lookup. */
    @Benchmark
    public CallerAuthenticator.Authentication authenticationFromCache() {
        return authenticator.authenticate(cluster, TestPki.AGENT_TOKEN);
    }

    @Benchmark
    public CsrChecks.Verdict checksIncludingCsrVerify() {
        return checks.check(request, cluster);
    }

    @Benchmark
    public IntermediateSigner.Issued buildAndSignCertificate() {
        return signer.sign(accepted, authority, Instant.now());
    }
}
