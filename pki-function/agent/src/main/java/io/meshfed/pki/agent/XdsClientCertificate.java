package io.meshfed.pki.agent;

/**
 * The xDS relay's TLS client material, as the relay beside istiod mounts it (a {@code kubernetes.io/tls} Secret,
 * {@code istio-system/meshfed-xds-client} by default).
 *
 * @param certificateChain the client certificate, then the chain up to meshfed's root ({@code tls.crt})
 * @param key its private key, PKCS#8 ({@code tls.key}); never logged
 * @param trustBundle meshfed's roots, the active one first ({@code ca.crt}): what the relay verifies the bridge with
 */
public record XdsClientCertificate(String certificateChain, String key, String trustBundle) {
    public static final String CERTIFICATE = "tls.crt";
    public static final String KEY = "tls.key";
    public static final String TRUST_BUNDLE = "ca.crt";

    public XdsClientCertificate {
        if (certificateChain == null || key == null || trustBundle == null) {
            throw new IllegalArgumentException("the xDS client material needs all of " + CERTIFICATE + ", " + KEY
                    + " and " + TRUST_BUNDLE);
        }
    }

    @Override
    public String toString() {
        return "XdsClientCertificate[key=redacted]";
    }
}
