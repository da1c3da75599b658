package io.meshfed.pki.signing;

/**
 * Why a CSR was rejected. Every code is stable (it is part of the {@code io.meshfed.csr.rejected} event). The
 * checks run in a fixed order and stop at the first failure: first who is asking (the token, the cluster it is
 * checked against, the TokenReview's verdict), then what is asked (docs/pki.md lists the order).
 */
public enum RejectionReason {
    /**
     * No token, or the claimed cluster's API server did not authenticate it (forged, signed by another cluster,
     * expired, revoked), or the cluster was registered without API access, so no API server can vouch for it.
     */
    UNAUTHENTICATED,
    /** The named cluster is not registered with meshfed. */
    CLUSTER_NOT_REGISTERED,
    /** The token is valid but not issued for the PKI's audience. */
    WRONG_AUDIENCE,
    /** The token is valid for the PKI's audience but belongs to a service account other than the CSR agent's. */
    WRONG_IDENTITY,
    /** Event data missing a field or holding a malformed cluster name, request id or lifetime. */
    INVALID_REQUEST,
    /** The CSR text is larger than the policy allows (64 KiB by default). */
    PAYLOAD_TOO_LARGE,
    /** Not exactly one PEM block of type CERTIFICATE REQUEST. */
    MALFORMED_PEM,
    /** The PEM block does not hold a DER-encoded PKCS#10 request. */
    MALFORMED_DER,
    /** The CSR's self-signature does not verify with the key it carries. */
    BAD_SIGNATURE,
    /** The public key is not ECDSA P-256/P-384 or RSA 2048..8192. */
    KEY_NOT_ALLOWED,
    /** A requested extension or CSR attribute is not one an Istio intermediate needs. */
    EXTENSION_NOT_ALLOWED,
    /** The subject or a subject alternative name is outside what the cluster may ask for. */
    SUBJECT_NOT_ALLOWED,
    /** The requested lifetime exceeds the policy maximum. */
    LIFETIME_TOO_LONG,
    /** The request id was already used for a different CSR or cluster. */
    REQUEST_ID_REUSED
}
