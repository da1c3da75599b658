package io.meshfed.pki.signing;

import java.util.Optional;

/**
 * What a {@code csr.submitted} asks the PKI to issue, named by its {@code purpose} field.
 *
 * <ul>
 *   <li>{@link #INTERMEDIATE_CA} ({@code intermediate-ca}, the default): the cluster's intermediate CA for istiod,
 *       CA:true, pathlen:0, name-constrained to the cluster's trust domain.</li>
 *   <li>{@link #XDS_CLIENT} ({@code xds-client}): the client certificate the xDS relay beside the cluster's istiod
 *       presents to the bridge: a leaf (CA:false, digitalSignature, extended key usage clientAuth) whose only name
 *       is the DNS name {@code <cluster>.<xDS host domain>}, issued directly by meshfed's signing CA, which the
 *       bridge trusts as its client CA (it accepts only certificates issued by it directly, so a cluster's
 *       intermediate cannot mint one).</li>
 * </ul>
 */
public enum CsrPurpose {
    INTERMEDIATE_CA("intermediate-ca"),
    XDS_CLIENT("xds-client");

    private final String wireName;

    CsrPurpose(String wireName) {
        this.wireName = wireName;
    }

    /** The value of the event's {@code purpose} field. */
    public String wireName() {
        return wireName;
    }

    /** The purpose named by {@code value}; absent (null) means {@link #INTERMEDIATE_CA}; empty when unknown. */
    public static Optional<CsrPurpose> parse(String value) {
        if (value == null) {
            return Optional.of(INTERMEDIATE_CA);
        }
        for (CsrPurpose purpose : values()) {
            if (purpose.wireName.equals(value)) {
                return Optional.of(purpose);
            }
        }
        return Optional.empty();
    }
}
