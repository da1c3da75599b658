package io.meshfed.pki.agent;

/**
 * The content of Istio's plug-in CA secret ({@code istio-system/cacerts}): exactly four PEM files, plus the
 * request that produced them (kept beside them, not inside them, so that the agent can replay it after a
 * restart to learn the current trust bundle without a second signature).
 *
 * @param caCert the cluster's intermediate ({@code ca-cert.pem})
 * @param caKey its private key, PKCS#8 ({@code ca-key.pem}); never logged
 * @param certChain intermediate up to and including the root ({@code cert-chain.pem})
 * @param rootCert every trusted root, the active one first ({@code root-cert.pem})
 * @param requestId the csr.submitted request id that issued {@code caCert}; null for a secret meshfed did not write
 * @param csr the CSR PEM of that request; null likewise
 */
public record CaCerts(String caCert, String caKey, String certChain, String rootCert, String requestId, String csr) {
    public static final String CA_CERT = "ca-cert.pem";
    public static final String CA_KEY = "ca-key.pem";
    public static final String CERT_CHAIN = "cert-chain.pem";
    public static final String ROOT_CERT = "root-cert.pem";

    public CaCerts {
        if (caCert == null || caKey == null || certChain == null || rootCert == null) {
            throw new IllegalArgumentException("cacerts needs all of " + CA_CERT + ", " + CA_KEY + ", " + CERT_CHAIN
                    + ", " + ROOT_CERT);
        }
    }

    public CaCerts withRootCert(String newRootCert) {
        return new CaCerts(caCert, caKey, certChain, newRootCert, requestId, csr);
    }

    @Override
    public String toString() {
        return "CaCerts[requestId=" + requestId + ", caKey=redacted]";
    }
}
