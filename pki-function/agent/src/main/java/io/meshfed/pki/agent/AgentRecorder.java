package io.meshfed.pki.agent;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What the CSR agent tells whoever watches it: the Quarkus shell exports it as {@code meshfed_agent_csr_requests_total},
 * {@code meshfed_agent_cacerts_writes_total} and the installed chain's
 * {@code meshfed_certificate_expiry_timestamp_seconds} (docs/observability.md), and answers readiness from it.
 * Called from the agent's one reconcile thread; implementations must be readable from others.
 */
public interface AgentRecorder {
    /** How one request to the PKI function ended. */
    enum Outcome {
        /** A new certificate was signed and passed verification. */
        SIGNED,
        /** A replay of the installed request was answered (a trust-bundle refresh). */
        REFRESHED,
        /** The PKI function refused the request. */
        REJECTED,
        /** The PKI function could not be reached or answered no event, or the token could not be read. */
        UNAVAILABLE,
        /** The reply failed verification; nothing was written. */
        INVALID_REPLY;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Records nothing. */
    AgentRecorder NONE = new AgentRecorder() {
        @Override
        public void request(Outcome outcome) {
        }

        @Override
        public void cacertsWritten() {
        }

        @Override
        public void installed(List<X509Certificate> chain, List<X509Certificate> roots) {
        }

        @Override
        public void nothingValidInstalled() {
        }
    };

    void request(Outcome outcome);

    /** The agent replaced {@code cacerts} (a new intermediate, or a new trust bundle). */
    void cacertsWritten();

    /**
     * What is installed now and valid: the intermediate's chain (intermediate first) and the trust bundle (active
     * root first).
     */
    void installed(List<X509Certificate> chain, List<X509Certificate> roots);

    /** What is installed is missing or unusable (before the first write, or after someone broke it). */
    void nothingValidInstalled();
}
