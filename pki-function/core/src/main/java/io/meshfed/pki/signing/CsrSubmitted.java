package io.meshfed.pki.signing;

/**
 * Data of {@code io.meshfed.csr.submitted}: a cluster's CSR agent asks for its intermediate CA certificate.
 *
 * @param cluster the registered cluster name
 * @param csr PKCS#10 request in PEM ({@code CERTIFICATE REQUEST})
 * @param requestId chosen by the agent; resubmitting the same id with the same CSR returns the same certificate
 * @param lifetimeSeconds optional requested lifetime; absent means the policy maximum
 * @param token the agent's projected service-account token (a JWT issued by the claimed cluster's API server for
 *     the PKI's audience); verified with a TokenReview before anything else. A credential: {@link #toString()}
 *     never prints it, and it is never written to audit records, logs or replies
 * @param purpose what to issue ({@link CsrPurpose}): absent or {@code intermediate-ca} for istiod's intermediate CA,
 *     {@code xds-client} for the xDS relay's client certificate
 */
public record CsrSubmitted(String cluster, String csr, String requestId, Long lifetimeSeconds, String token,
        String purpose) {

    /** A request for the cluster's intermediate CA (no {@code purpose}). */
    public CsrSubmitted(String cluster, String csr, String requestId, Long lifetimeSeconds, String token) {
        this(cluster, csr, requestId, lifetimeSeconds, token, null);
    }

    @Override
    public String toString() {
        return "CsrSubmitted[cluster=" + cluster + ", requestId=" + requestId + ", csrChars="
                + (csr == null ? 0 : csr.length()) + ", lifetimeSeconds=" + lifetimeSeconds + ", token="
                + (token == null ? "absent" : "<redacted>") + (purpose == null ? "" : ", purpose=" + purpose) + "]";
    }
}
