package io.meshfed.testsupport.peers;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * Where the real peers built by {@code test-peers/build.sh} are: read from the {@code peers.properties} it writes.
 * A missing file or binary fails with what to run; the tests that need real peers never skip silently.
 */
public final class Peers {
    /** System property naming the properties file; the parent POM sets it for every test JVM. */
    public static final String PROPERTY = "test-peers.file";

    private static Peers loaded;

    private final Path file;
    private final Properties properties;

    private Peers(Path file, Properties properties) {
        this.file = file;
        this.properties = properties;
    }

    /** The peers of this checkout; fails with instructions when they were not built. */
    public static synchronized Peers get() {
        if (loaded == null) {
            Path file = locate();
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new PeerException("cannot read " + file + ": " + e.getMessage() + hint(), e);
            }
            loaded = new Peers(file, p);
        }
        return loaded;
    }

    private static Path locate() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isRegularFile(p)) {
                throw new PeerException(PROPERTY + " names " + p + ", which does not exist." + hint());
            }
            return p;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("test-peers/target/peers.properties");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new PeerException("the real peers (istiod, kube-apiserver, etcd) are not built." + hint());
    }

    private static String hint() {
        return " Run test-peers/build.sh from the repository root (needs Go 1.26+; `mvn verify` runs it too).";
    }

    /** An executable built by the script, checked to exist. */
    public Path binary(String key) {
        Path p = Path.of(value(key));
        if (!Files.isExecutable(p)) {
            throw new PeerException(key + " = " + p + " is not an executable file." + hint());
        }
        return p;
    }

    /** A file the script copied into the cache (CRDs), checked to exist. */
    public Path file(String key) {
        Path p = Path.of(value(key));
        if (!Files.isRegularFile(p)) {
            throw new PeerException(key + " = " + p + " does not exist." + hint());
        }
        return p;
    }

    public String value(String key) {
        String v = properties.getProperty(key);
        if (v == null) {
            throw new PeerException(file + " has no '" + key + "'." + hint());
        }
        return v;
    }

    /** The Istio builds in the matrix, the default first. */
    public List<IstioVersion> istioVersions() {
        String def = value("istiod.default");
        return Arrays.stream(value("istiod.versions").split(",")).map(String::trim)
                .sorted((a, b) -> a.equals(def) ? -1 : b.equals(def) ? 1 : 0)
                .map(v -> new IstioVersion(v, binary("istiod." + v + ".binary"), file("istiod." + v + ".crds"),
                        value("istiod." + v + ".version")))
                .toList();
    }

    /** The default Istio build. */
    public IstioVersion istio() {
        return istioVersions().get(0);
    }

    /** One pilot-discovery build: its key in the matrix, binary, CRDs and version text. */
    public record IstioVersion(String key, Path binary, Path crds, String version) {
        @Override
        public String toString() {
            return "istiod " + version;
        }
    }
}
