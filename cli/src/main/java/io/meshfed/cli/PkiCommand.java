package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed pki status}: the root of trust as stored by the PKI function (docs/pki.md). The function has
 * no status endpoint and no status event, so this reads the stored CA state's public copy, ConfigMap
 * {@code meshfed-pki/meshfed-pki-ca-public} (the function writes it with every CA state; it holds no key) through
 * the current kubeconfig, or {@code <state-dir>/pki/ca.json} in local mode, where only the certificate entries are
 * decoded ({@code signer-chain.pem}, {@code next-chain.pem}, {@code trust-bundle.pem}).
 */
@Command(name = "pki", mixinStandardHelpOptions = true, description = "Shared root of trust.",
        subcommands = {PkiCommand.Status.class, PkiRootCommands.Init.class, PkiRootCommands.RotateRoot.class})
final class PkiCommand {
    static final String SIGNER_CHAIN = "signer-chain.pem";
    static final String NEXT_CHAIN = "next-chain.pem";
    static final String TRUST_BUNDLE = "trust-bundle.pem";
    static final String DEFAULT_SECRET = "meshfed-pki-ca";
    static final String DEFAULT_NAMESPACE = "meshfed-pki";

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show the signing authority, a rotation in progress and the trusted roots.",
                "Reads the public copy of the CA state, ConfigMap meshfed-pki/meshfed-pki-ca-public (kubeconfig),",
                "or <state-dir>/pki/ca.json."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed pki status --state-dir .meshfed/state/two-clusters   # local mode",
                "  bin/meshfed pki status -o yaml --context prod"})
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--secret", paramLabel = "NAME",
                description = "CA Secret name (default meshfed-pki-ca); its public copy is the ConfigMap NAME-public.")
        String secret = DEFAULT_SECRET;

        @Option(names = "--pki-namespace", paramLabel = "NS",
                description = "Namespace of the CA state (default meshfed-pki).")
        String pkiNamespace = DEFAULT_NAMESPACE;

        @Option(names = "--file", paramLabel = "FILE",
                description = "Read a local CA state file (local mode's <state-dir>/pki/ca.json) instead.")
        Path file;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            Path stateFile = file != null ? file
                    : root.stateDir() != null ? root.stateDir().resolve("pki").resolve("ca.json") : null;
            String where = stateFile != null ? stateFile.toString()
                    : "ConfigMap " + pkiNamespace + "/" + secret + "-public";
            Map<String, String> entries = stateFile != null ? fromFile(stateFile)
                    : readPublicCopy(root, pkiNamespace, secret + "-public");
            if (entries == null) {
                throw new CommandFailedException(ExitCodes.NOT_FOUND, "no CA state in " + where
                        + ": the PKI function creates it on its first start");
            }
            List<X509Certificate> signer = certificates(entries, SIGNER_CHAIN, where, true);
            List<X509Certificate> next = certificates(entries, NEXT_CHAIN, where, false);
            List<X509Certificate> roots = certificates(entries, TRUST_BUNDLE, where, true);
            print(root.output(), where, signer, next, roots);
            return ExitCodes.OK;
        }
    }

    /**
     * Where a rotation stands (docs/pki.md, "Rotating the root"): {@code stable} (one root), {@code introduced}
     * (a next authority is trusted but not signing), {@code activated} (the new root signs, an old one is still
     * trusted until retired).
     */
    static String phase(List<X509Certificate> next, List<X509Certificate> roots) {
        if (!next.isEmpty()) {
            return "introduced";
        }
        return roots.size() > 1 ? "activated" : "stable";
    }

    static void print(Output output, String where, List<X509Certificate> signer, List<X509Certificate> next,
            List<X509Certificate> roots) {
        String phase = phase(next, roots);
        String activeRoot = fingerprint(signer.get(signer.size() - 1));
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.put("source", where);
        document.put("phase", phase);
        document.set("signer", authority(signer));
        document.set("next", next.isEmpty() ? null : authority(next));
        ArrayNode trusted = document.putArray("trustedRoots");
        for (X509Certificate root : roots) {
            ObjectNode r = trusted.addObject();
            r.put("sha256", fingerprint(root));
            r.put("subject", root.getSubjectX500Principal().getName());
            r.put("notAfter", root.getNotAfter().toInstant().toString());
            r.put("active", fingerprint(root).equals(activeRoot));
        }
        if (!output.isTable()) {
            output.document(document);
            return;
        }
        output.line("source: " + where);
        output.line("phase:  " + phase + switch (phase) {
            case "introduced" -> " (rotation step 1 done: every cluster must trust the next root before 'activate')";
            case "activated" -> " (rotation step 2 done: 'retire' once every cluster reissued under the new root)";
            default -> "";
        });
        output.line("signer: " + describe(signer));
        output.line("next:   " + (next.isEmpty() ? "-" : describe(next)));
        List<List<String>> rows = new ArrayList<>();
        for (var r : trusted) {
            rows.add(List.of(r.get("sha256").asText(), r.get("subject").asText(), r.get("notAfter").asText(),
                    r.get("active").asBoolean() ? "yes" : ""));
        }
        output.out().print("\n" + Output.table(List.of("trusted root sha256", "subject", "not-after", "active"), rows));
        output.out().flush();
    }

    private static ObjectNode authority(List<X509Certificate> chain) {
        X509Certificate first = chain.get(0);
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("subject", first.getSubjectX500Principal().getName());
        node.put("sha256", fingerprint(first));
        node.put("notBefore", first.getNotBefore().toInstant().toString());
        node.put("notAfter", first.getNotAfter().toInstant().toString());
        node.put("chainLength", chain.size());
        node.put("rootSha256", fingerprint(chain.get(chain.size() - 1)));
        return node;
    }

    private static String describe(List<X509Certificate> chain) {
        X509Certificate first = chain.get(0);
        return first.getSubjectX500Principal().getName() + " sha256=" + fingerprint(first) + " notAfter="
                + first.getNotAfter().toInstant() + (chain.size() > 1 ? " (chain of " + chain.size() + ", root sha256="
                + fingerprint(chain.get(chain.size() - 1)) + ")" : "");
    }

    private static Map<String, String> fromFile(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            JsonNode stored = Output.JSON.readTree(file.toFile());
            Map<String, String> entries = new HashMap<>();
            for (String key : List.of(SIGNER_CHAIN, NEXT_CHAIN, TRUST_BUNDLE)) {
                if (stored.path(key).isTextual()) {
                    entries.put(key, stored.get(key).asText());
                }
            }
            return entries;
        } catch (IOException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read " + file + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /** The certificate entries of the CA state's public copy (a ConfigMap: no key in it, nothing secret to read). */
    static Map<String, String> readPublicCopy(MeshfedCommand root, String namespace, String configMapName) {
        try (KubernetesClient client = root.kubernetes()) {
            ConfigMap copy;
            try {
                copy = client.configMaps().inNamespace(namespace).withName(configMapName).get();
            } catch (KubernetesClientException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read ConfigMap " + namespace + "/"
                        + configMapName + " at " + client.getMasterUrl() + " (" + root.kubeAccess().describe() + "): "
                        + ClusterCommand.cause(e) + "; for local mode give --state-dir", e);
            }
            if (copy == null || copy.getData() == null) {
                return null;
            }
            Map<String, String> entries = new HashMap<>();
            for (String key : List.of(SIGNER_CHAIN, NEXT_CHAIN, TRUST_BUNDLE)) {
                String value = copy.getData().get(key);
                if (value != null) {
                    entries.put(key, value);
                }
            }
            return entries;
        }
    }

    private static List<X509Certificate> certificates(Map<String, String> entries, String key, String where,
            boolean required) {
        String pem = entries.get(key);
        if (pem == null || pem.isBlank()) {
            if (required) {
                throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, where + " lacks " + key);
            }
            return List.of();
        }
        try {
            List<X509Certificate> certificates = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                certificates.add((X509Certificate) c);
            }
            if (certificates.isEmpty()) {
                throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, key + " in " + where + " holds no certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, key + " in " + where
                    + " is not a PEM certificate list: " + e.getMessage(), e);
        }
    }

    /** Lower-case hex SHA-256 of the DER encoding, as the PKI function's audit and PkiAdmin print it. */
    static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("SHA-256 and DER re-encoding of a parsed certificate always work", e);
        }
    }
}
