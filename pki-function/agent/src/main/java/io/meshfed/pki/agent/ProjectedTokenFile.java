package io.meshfed.pki.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The token kubelet writes into a projected {@code serviceAccountToken} volume (knative/workload/csr-agent.yaml
 * mounts one for the PKI's audience). Read afresh for every request: kubelet replaces the file well before the token
 * expires (at 80 % of its lifetime), and a token kept in memory would expire under the agent. Thread-safe.
 */
public final class ProjectedTokenFile implements TokenSource {
    /** Where csr-agent.yaml mounts the token. */
    public static final Path DEFAULT_PATH = Path.of("/var/run/secrets/meshfed/pki/token");
    private static final long MAX_BYTES = 16 * 1024;

    private final Path file;

    public ProjectedTokenFile(Path file) {
        this.file = file;
    }

    @Override
    public String currentToken() {
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new TokenUnavailableException(file + " is larger than " + MAX_BYTES + " bytes: not a "
                        + "service-account token", null);
            }
            String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (token.isEmpty()) {
                throw new TokenUnavailableException(file + " is empty: no service-account token projected yet", null);
            }
            return token;
        } catch (IOException e) {
            throw new TokenUnavailableException("cannot read the service-account token from " + file + " ("
                    + e.getClass().getSimpleName() + "): mount a projected serviceAccountToken volume with the PKI's "
                    + "audience there (knative/workload/csr-agent.yaml)", e);
        }
    }

    @Override
    public String toString() {
        return "ProjectedTokenFile[" + file + "]";
    }
}
