package io.meshfed.pki.signing;

/**
 * Data of {@code io.meshfed.csr.signed}.
 *
 * @param certChain the issued intermediate first, then the signing CA's chain up to and including its root
 *     (Istio's {@code cert-chain.pem})
 * @param trustBundle every root a cluster must trust now, the active signing root first
 *     (Istio's {@code root-cert.pem})
 * @param serial the issued certificate's serial number, lower-case hex
 * @param notBefore ISO-8601 instant
 * @param notAfter ISO-8601 instant
 */
public record CsrSigned(String requestId, String cluster, String certChain, String trustBundle, String serial,
        String notBefore, String notAfter) {
}
