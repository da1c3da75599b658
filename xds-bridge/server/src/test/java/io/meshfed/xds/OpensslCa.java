package io.meshfed.xds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway CA made by the openssl command line in a directory, and certificates it issues (ECDSA P-256, one
 * day): the TLS material of tests that go through real handshakes. Several CAs may share a directory.
 */
public final class OpensslCa {
    private final Path dir;
    private final String name;

    /** A key and a certificate issued by this CA. */
    public record Issued(Path certificate, Path key) {
    }

    private OpensslCa(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** Makes the self-signed CA {@code <name>-ca.crt} (subject {@code CN=<name> test CA}) in {@code dir}. */
    public static OpensslCa create(Path dir, String name) throws IOException, InterruptedException {
        OpensslCa ca = new OpensslCa(dir, name);
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + "-ca.key", "-out", name + "-ca.crt", "-days", "1", "-subj", "/CN=" + name + " test CA",
                "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return ca;
    }

    /** The CA certificate (PEM): what a peer trusts. */
    public Path certificate() {
        return dir.resolve(name + "-ca.crt");
    }

    /**
     * A certificate for subject {@code CN=<leaf>} with the given subjectAltName, e.g. {@code DNS:east.example,
     * IP:127.0.0.1}, usable by servers and clients; {@code <leaf>} must be unique in the directory.
     */
    public Issued issue(String leaf, String subjectAltName) throws IOException, InterruptedException {
        return issue(leaf, subjectAltName, "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature"
                + "\nextendedKeyUsage=serverAuth,clientAuth\n");
    }

    /** {@link #issue(String, String)} with other extensions than a TLS leaf's (openssl extension-file lines). */
    public Issued issue(String leaf, String subjectAltName, String extensions) throws IOException, InterruptedException {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", leaf + ".key");
        openssl("req", "-new", "-key", leaf + ".key", "-subj", "/CN=" + leaf, "-out", leaf + ".csr");
        Files.writeString(dir.resolve(leaf + ".ext"), "subjectAltName=" + subjectAltName + "\n" + extensions);
        openssl("x509", "-req", "-in", leaf + ".csr", "-CA", name + "-ca.crt", "-CAkey", name + "-ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", leaf + ".ext", "-out", leaf + ".crt");
        return new Issued(dir.resolve(leaf + ".crt"), dir.resolve(leaf + ".key"));
    }

    /**
     * A CA below this one, {@code CN=<name> test CA} (CA:true, pathlen:0), as a cluster's intermediate CA is below
     * meshfed's root; certificates it issues carry the chain (leaf, then this intermediate) in their file.
     */
    public OpensslCa issueIntermediate(String name) throws IOException, InterruptedException {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + "-ca.key");
        openssl("req", "-new", "-key", name + "-ca.key", "-subj", "/CN=" + name + " test CA", "-out", name + "-ca.csr");
        Files.writeString(dir.resolve(name + "-ca.ext"),
                "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n");
        openssl("x509", "-req", "-in", name + "-ca.csr", "-CA", this.name + "-ca.crt", "-CAkey", this.name + "-ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", name + "-ca.ext", "-out", name + "-ca.crt");
        return new OpensslCa(dir, name);
    }

    /** {@link #issue}, with this CA's certificate appended to the certificate file (the chain a client sends). */
    public Issued issueWithChain(String leaf, String subjectAltName) throws IOException, InterruptedException {
        Issued issued = issue(leaf, subjectAltName);
        Files.writeString(issued.certificate(), Files.readString(issued.certificate())
                + Files.readString(certificate()));
        return issued;
    }

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }
}
