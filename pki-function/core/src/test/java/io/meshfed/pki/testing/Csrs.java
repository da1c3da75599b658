package io.meshfed.pki.testing;

import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import java.io.IOException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Builds CSRs for tests with Bouncy Castle. */
public final class Csrs {
    private Csrs() {
    }

    public static KeyPair keys(KeyAlgorithm algorithm) {
        return algorithm.generate(new SecureRandom());
    }

    /** An intermediate CSR as an agent would send it: O=<td>, SANs istiod DNS name + istiod SPIFFE id. */
    public static String istioIntermediate(KeyPair keys, String trustDomain) {
        return pem(build(keys, "O=" + trustDomain + ",CN=istiod intermediate", List.of(
                new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc"),
                new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + trustDomain + "/ns/istio-system/sa/istiod")), null));
    }

    /** A CSR with the given subject, SANs (null: no SAN extension) and extra extension (null: none). */
    public static PKCS10CertificationRequest build(KeyPair keys, String subject, List<GeneralName> sans,
            Extension extra) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    new X500Name(subject), keys.getPublic());
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            if (sans != null) {
                extensions.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(sans.toArray(GeneralName[]::new)));
            }
            if (extra != null) {
                extensions.addExtension(extra);
            }
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            return builder.build(new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(keys.getPublic()))
                    .build(keys.getPrivate()));
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String pem(PKCS10CertificationRequest csr) {
        return Pems.encode(csr);
    }
}
