package io.meshfed.model;

/**
 * How meshfed reaches a workload cluster's Kubernetes API: an https URL, the CA that signs its serving
 * certificate (PEM, plain or base64), and the name of the management-cluster Secret holding the credentials.
 * The credentials themselves never appear here.
 */
public record ApiServerRef(String url, String caData, String credentialsSecret) {
    public ApiServerRef {
        validate(url, caData, credentialsSecret).throwIfAny();
    }

    public static Violations validate(String url, String caData, String credentialsSecret) {
        return new Violations()
                .check("url", Rules.httpsUrl(url))
                .check("caData", Rules.pemOrBase64Pem(caData, "CERTIFICATE"))
                .check("credentialsSecret", Rules.dns1123Subdomain(credentialsSecret));
    }

    /** The CA as PEM text, whichever form it was given in. */
    public String caPem() {
        return Pem.decodeText(caData);
    }
}
