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
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.KeyPair;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Operations per CPU-second of the calling thread, the unit {@code openssl speed} reports. On a shared,
 * loaded machine wall-clock throughput (JMH) swings with the neighbours; CPU time of the measuring thread
 * does much less, so this is the figure compared with openssl. Run through the bench profile with
 * {@code -Dbench.main=io.meshfed.pki.bench.CpuTimeRates}; arguments: seconds per measurement (default 5),
 * then optionally one root algorithm and one provider to run only that row (for profiling it).
 */
public final class CpuTimeRates {
    static {
        // The JBoss System.Logger on the class path logs through its own log manager: unless java.util.logging
        // uses that manager too, the level set in main() does not reach it and every issuance writes its INFO
        // line to stdout. Must run before anything touches logging.
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTimeRates() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        // One INFO line per issuance is not what is measured here.
        java.util.logging.Logger.getLogger("io.meshfed").setLevel(java.util.logging.Level.WARNING);
        System.out.println("java " + System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-12s %-4s %14s %14s %14s%n", "root", "jca", "checkAndSign/s", "sign/s",
                "verify/s");
        for (KeyAlgorithm algorithm : new KeyAlgorithm[] {KeyAlgorithm.ECDSA_P256, KeyAlgorithm.RSA_2048,
            KeyAlgorithm.RSA_4096}) {
            if (args.length > 1 && !algorithm.name().equals(args[1])) {
                continue;
            }
            for (String providerName : new String[] {"jdk", "bc", "conscrypt"}) {
                if (args.length > 2 && !providerName.equals(args[2])) {
                    continue;
                }
                Provider provider = CsrSigningBenchmark.provider(providerName);
                double path = rate(seconds, pathOf(algorithm, provider));
                KeyPair generated = Csrs.keys(algorithm);
                // Keys in the provider's own form, as the signing path holds them (no re-import per operation).
                KeyPair keys = provider == null ? generated : new KeyPair(
                        java.security.KeyFactory.getInstance(generated.getPublic().getAlgorithm(), provider)
                                .generatePublic(new java.security.spec.X509EncodedKeySpec(
                                        generated.getPublic().getEncoded())),
                        java.security.KeyFactory.getInstance(generated.getPrivate().getAlgorithm(), provider)
                                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(
                                        generated.getPrivate().getEncoded())));
                String signatureName = io.meshfed.pki.ca.KeyAlgorithm.signatureAlgorithmFor(keys.getPublic());
                byte[] message = new byte[400];
                byte[] signature = sign(provider, signatureName, keys, message);
                double sign = rate(seconds, () -> sign(provider, signatureName, keys, message));
                double verify = rate(seconds, () -> verify(provider, signatureName, keys, message, signature));
                System.out.printf(Locale.ROOT, "%-12s %-4s %14.1f %14.1f %14.1f%n", algorithm, providerName, path, sign,
                        verify);
            }
        }
    }

    static Callable<Object> pathOf(KeyAlgorithm algorithm, Provider provider) {
        InMemoryClusterStore clusters = new InMemoryClusterStore().register("east", "east.example.org");
        CaState state = CaState.of(TestPki.root(algorithm, "bench root"));
        CsrSigningService service = new CsrSigningService(TestPki.authenticator(clusters,
                TestPki.apiServersKnowingTheAgent()), clusters, new CsrChecks(SigningPolicy.defaults(), provider),
                new IntermediateSigner(provider, new SecureRandom()), () -> state, new InMemoryAuditStore(),
                Clock.systemUTC());
        String csr = Csrs.istioIntermediate(Csrs.keys(algorithm), "east.example.org");
        long[] sequence = {0};
        return () -> {
            SigningOutcome outcome = service.handle(TestPki.submitted("east", csr, "r-" + sequence[0]++), "bench");
            if (!(outcome instanceof SigningOutcome.Signed)) {
                throw new IllegalStateException(outcome.toString());
            }
            return outcome;
        };
    }

    private static byte[] sign(Provider provider, String name, KeyPair keys, byte[] message) throws Exception {
        Signature s = provider == null ? Signature.getInstance(name) : Signature.getInstance(name, provider);
        s.initSign(keys.getPrivate());
        s.update(message);
        return s.sign();
    }

    private static boolean verify(Provider provider, String name, KeyPair keys, byte[] message, byte[] signature)
            throws Exception {
        Signature s = provider == null ? Signature.getInstance(name) : Signature.getInstance(name, provider);
        s.initVerify(keys.getPublic());
        s.update(message);
        return s.verify(signature);
    }

    /** Warms up for {@code seconds}, then returns operations per CPU-second over the next {@code seconds}. */
    static double rate(double seconds, Callable<Object> operation) throws Exception {
        long budget = (long) (seconds * 1e9);
        long start = THREADS.getCurrentThreadCpuTime();
        while (THREADS.getCurrentThreadCpuTime() - start < budget) {
            operation.call();
        }
        long ops = 0;
        start = THREADS.getCurrentThreadCpuTime();
        long used;
        do {
            operation.call();
            ops++;
            used = THREADS.getCurrentThreadCpuTime() - start;
        } while (used < budget);
        return ops / (used / 1e9);
    }
}
