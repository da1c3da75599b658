package io.meshfed.pki.ca;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.meshfed.store.ConcurrentChangeException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Operator commands for the root of trust: {@code status}, {@code init}, and the three rotation steps
 * {@code introduce}, {@code activate}, {@code retire} (docs/pki.md, "Rotating the root"), through {@link RootRotation}.
 * Superseded by {@code meshfed pki init|rotate-root|status} (docs/cli.md), which runs the same steps;
 * {@code bin/meshfed-pki-admin} now forwards there. Works on the
 * Kubernetes Secret ({@code --namespace}, kubeconfig or in-cluster credentials) or the local file
 * ({@code --file}). Prints fingerprints and subjects only, never key material.
 *
 * <pre>
 * java -cp meshfed-pki-core.jar:... io.meshfed.pki.ca.PkiAdmin introduce --namespace meshfed --algorithm rsa-4096
 * </pre>
 */
public final class PkiAdmin {
    private static final String USAGE = """
            usage: PkiAdmin <status|init|introduce|activate|retire> (--file PATH | --namespace NS [--secret NAME])
                   init/introduce: [--algorithm ecdsa-p256|rsa-4096|...] [--lifetime-days N] [--common-name CN]
                                   or --import-key KEY.pem --import-chain CHAIN.pem (signing cert first, root last)""";

    private PkiAdmin() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Returns the process exit code: 0 done, 1 refused (message on {@code err}), 2 usage error. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(USAGE);
            return 2;
        }
        Map<String, String> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                err.println("unexpected argument '" + args[i] + "'\n" + USAGE);
                return 2;
            }
            options.put(args[i].substring(2), args[++i]);
        }
        KubernetesClient client = null;
        try {
            CaStore store;
            if (options.containsKey("file")) {
                store = new FileCaStore(Path.of(options.get("file")), Clock.systemUTC());
            } else if (options.containsKey("namespace")) {
                client = new KubernetesClientBuilder().build();
                store = new KubernetesCaStore(client, options.get("namespace"),
                        options.getOrDefault("secret", KubernetesCaStore.DEFAULT_NAME), Clock.systemUTC());
            } else {
                err.println("one of --file or --namespace is required\n" + USAGE);
                return 2;
            }
            switch (args[0]) {
                case "status" -> print(store.load().orElseThrow(() -> new IllegalStateException("no CA state stored")),
                        out);
                case "init" -> print(RootRotation.init(store, authority(options)), out);
                case "introduce" -> print(RootRotation.introduce(store, authority(options)), out);
                case "activate" -> print(RootRotation.activate(store), out);
                case "retire" -> print(RootRotation.retire(store), out);
                default -> {
                    err.println("unknown command '" + args[0] + "'\n" + USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (ConcurrentChangeException e) {
            err.println(args[0] + " refused: another writer changed the CA state meanwhile (" + e.getMessage()
                    + "); run 'status' and decide again");
            return 1;
        } catch (InvalidCaMaterialException | IllegalStateException | IllegalArgumentException | CaStoreException e) {
            err.println(args[0] + " refused: " + e.getMessage());
            return 1;
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }

    private static CertificateAuthority authority(Map<String, String> options) {
        if (options.containsKey("import-key") || options.containsKey("import-chain")) {
            String key = options.get("import-key");
            String chain = options.get("import-chain");
            return RootRotation.imported(key == null ? null : Path.of(key), chain == null ? null : Path.of(chain),
                    Clock.systemUTC());
        }
        return RootRotation.generate(options.getOrDefault("algorithm", "ecdsa-p256"),
                options.getOrDefault("common-name", "meshfed root CA"),
                Duration.ofDays(Long.parseLong(options.getOrDefault("lifetime-days", "3650"))), Clock.systemUTC());
    }

    private static void print(CaState state, PrintStream out) {
        out.println("signer: " + state.signer());
        out.println("next:   " + state.next().map(Object::toString).orElse("-"));
        for (X509Certificate root : state.trustedRoots()) {
            out.println("trusted root: sha256=" + Certificates.fingerprint(root) + " " + root.getSubjectX500Principal()
                    + " notAfter=" + root.getNotAfter().toInstant());
        }
    }
}
