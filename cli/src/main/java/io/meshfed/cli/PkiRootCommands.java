package io.meshfed.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.CaStoreException;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.InvalidCaMaterialException;
import io.meshfed.pki.ca.KubernetesCaStore;
import io.meshfed.pki.ca.RootRotation;
import io.meshfed.store.ConcurrentChangeException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed pki init} and {@code meshfed pki rotate-root introduce|activate|retire}: the operator's writes to the
 * CA state (docs/pki.md, "Rotating the root"), through {@link RootRotation}, the same steps {@code PkiAdmin} runs. They
 * read and write the CA Secret itself ({@code meshfed-pki/meshfed-pki-ca}, a break-glass right no shipped Role grants)
 * or a local CA state file; they print what {@code pki status} prints, never key material.
 */
final class PkiRootCommands {
    private PkiRootCommands() {
    }

    /** Where the CA state is: a file, or the Secret in the cluster {@code --kubeconfig}/{@code --context} name. */
    static final class StoreOptions {
        @Option(names = "--file", paramLabel = "FILE",
                description = "A local CA state file (local mode's <state-dir>/pki/ca.json; --state-dir picks that one)"
                        + " instead of the Secret.")
        Path file;

        @Option(names = "--secret", paramLabel = "NAME", description = "CA Secret name (default meshfed-pki-ca).")
        String secret = PkiCommand.DEFAULT_SECRET;

        @Option(names = "--pki-namespace", paramLabel = "NS",
                description = "Namespace of the CA Secret (default meshfed-pki).")
        String pkiNamespace = PkiCommand.DEFAULT_NAMESPACE;
    }

    /** The authority to introduce: generated here, or imported ("bring your own", docs/pki.md). */
    static final class AuthorityOptions {
        @Option(names = "--algorithm", paramLabel = "ALG",
                description = "Key of a generated root: ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072, rsa-4096.")
        String algorithm = "ecdsa-p256";

        @Option(names = "--common-name", paramLabel = "CN", description = "Subject CN of a generated root "
                + "(default 'meshfed root CA').")
        String commonName = "meshfed root CA";

        @Option(names = "--lifetime-days", paramLabel = "DAYS", description = "Validity of a generated root (default 3650).")
        long lifetimeDays = 3650;

        @Option(names = "--import-key", paramLabel = "KEY.pem", description = "Use this PEM private key instead of generating one.")
        Path importKey;

        @Option(names = "--import-chain", paramLabel = "CHAIN.pem",
                description = "Its chain, signing certificate first, root last (with --import-key).")
        Path importChain;

        CertificateAuthority authority() {
            if (importKey != null || importChain != null) {
                return RootRotation.imported(importKey, importChain, Clock.systemUTC());
            }
            if (lifetimeDays <= 0) {
                throw new IllegalArgumentException("--lifetime-days must be positive");
            }
            return RootRotation.generate(algorithm, commonName, Duration.ofDays(lifetimeDays), Clock.systemUTC());
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Store the first CA state: a generated root, or an imported signing CA (root key offline).",
                "Refused when a CA state exists (rotate instead). The PKI function also creates one on its first start."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed pki init --pki-namespace meshfed-pki --algorithm ecdsa-p384",
                "  bin/meshfed pki init --file /tmp/ca.json --import-key signing.key --import-chain chain.pem"})
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        StoreOptions store;
        @Mixin
        AuthorityOptions authority;

        @Override
        public Integer call() {
            return run(MeshfedCommand.of(spec), store, "init", s -> RootRotation.init(s, authority.authority()));
        }
    }

    @Command(name = "rotate-root", mixinStandardHelpOptions = true,
            description = {"Replace the root of trust without an outage, in three steps (docs/pki.md):",
                "  introduce  a new authority is trusted everywhere; the old one still signs",
                "             (wait until every cluster's root-cert.pem holds both roots)",
                "  activate   the new authority signs; both roots stay trusted",
                "             (wait until every cluster reissued under the new root)",
                "  retire     the old root leaves the trust bundle",
                "Each step is applied to the state as read and saved only if nobody saved meanwhile."},
            subcommands = {RotateRoot.Introduce.class, RotateRoot.Activate.class, RotateRoot.Retire.class},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed pki rotate-root introduce --algorithm rsa-4096",
                "  bin/meshfed pki status",
                "  bin/meshfed pki rotate-root activate",
                "  bin/meshfed pki rotate-root retire",
                "  bin/meshfed pki rotate-root introduce --state-dir .meshfed/state/two-clusters   # local mode"})
    static final class RotateRoot {

        @Command(name = "introduce", mixinStandardHelpOptions = true,
                description = "Step 1: store a new authority as next; its root joins the trust bundle.",
                footerHeading = "%nExamples:%n",
                footer = {"  bin/meshfed pki rotate-root introduce --algorithm rsa-4096 --common-name 'meshfed root CA 2'",
                    "  bin/meshfed pki rotate-root introduce --import-key signing.key --import-chain chain.pem"})
        static final class Introduce implements Callable<Integer> {
            @Spec
            CommandSpec spec;
            @Mixin
            StoreOptions store;
            @Mixin
            AuthorityOptions authority;

            @Override
            public Integer call() {
                return run(MeshfedCommand.of(spec), store, "introduce",
                        s -> RootRotation.introduce(s, authority.authority()));
            }
        }

        @Command(name = "activate", mixinStandardHelpOptions = true,
                description = "Step 2: the introduced authority signs from now on; the old root stays trusted.",
                footerHeading = "%nExamples:%n", footer = "  bin/meshfed pki rotate-root activate --pki-namespace meshfed-pki")
        static final class Activate implements Callable<Integer> {
            @Spec
            CommandSpec spec;
            @Mixin
            StoreOptions store;

            @Override
            public Integer call() {
                return run(MeshfedCommand.of(spec), store, "activate", RootRotation::activate);
            }
        }

        @Command(name = "retire", mixinStandardHelpOptions = true,
                description = "Step 3: stop trusting every root but the signer's (and a next authority's).",
                footerHeading = "%nExamples:%n", footer = "  bin/meshfed pki rotate-root retire --pki-namespace meshfed-pki")
        static final class Retire implements Callable<Integer> {
            @Spec
            CommandSpec spec;
            @Mixin
            StoreOptions store;

            @Override
            public Integer call() {
                return run(MeshfedCommand.of(spec), store, "retire", RootRotation::retire);
            }
        }
    }

    /** Runs {@code step} on the store the options name and prints the resulting state as {@code pki status} does. */
    static int run(MeshfedCommand root, StoreOptions options, String step, Function<CaStore, CaState> action) {
        Path file = options.file != null ? options.file
                : root.stateDir() != null ? root.stateDir().resolve("pki").resolve("ca.json") : null;
        KubernetesClient client = null;
        String where;
        try {
            CaStore store;
            if (file != null) {
                store = new FileCaStore(file, Clock.systemUTC());
                where = file.toString();
            } else {
                client = root.kubernetes();
                store = new KubernetesCaStore(client, options.pkiNamespace, options.secret, Clock.systemUTC());
                where = "Secret " + options.pkiNamespace + "/" + options.secret + " at " + client.getMasterUrl();
            }
            CaState state;
            try {
                state = action.apply(store);
            } catch (ConcurrentChangeException e) {
                throw new CommandFailedException(ExitCodes.REJECTED, step + " refused: another writer changed the CA "
                        + "state meanwhile (" + e.getMessage() + "); nothing was written: run 'meshfed pki status' "
                        + "and decide again", e);
            } catch (InvalidCaMaterialException | IllegalStateException | IllegalArgumentException e) {
                throw new CommandFailedException(ExitCodes.REJECTED, step + " refused: " + e.getMessage(), e);
            } catch (CaStoreException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, step + ": cannot read or write the CA state in "
                        + where + ": " + e.getMessage(), e);
            } catch (KubernetesClientException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, step + ": cannot read or write " + where + " ("
                        + root.kubeAccess().describe() + "): " + ClusterCommand.cause(e)
                        + (e.getCode() == 403 ? " (writing the CA Secret is a break-glass right no shipped Role grants)"
                                : ""), e);
            }
            PkiCommand.print(root.output(), where, state.signer().chain(),
                    state.next().map(CertificateAuthority::chain).orElse(List.of()), state.trustedRoots());
            return ExitCodes.OK;
        } finally {
            if (client != null) {
                client.close();
            }
        }
    }
}
