package io.meshfed.pki.ca;

import io.meshfed.store.ConcurrentChangeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * The operator's steps on the root of trust (docs/pki.md, "Rotating the root"): {@link #init} once, then per rotation
 * {@link #introduce}, {@link #activate}, {@link #retire}, each applied to the state as read and saved only if nobody
 * saved since (compare-and-set). The one implementation behind {@code meshfed pki} and {@link PkiAdmin}.
 *
 * <p>Every step throws {@link IllegalStateException} when the state does not allow it (nothing stored, a rotation
 * already in progress, nothing to activate), {@link ConcurrentChangeException} when another writer saved meanwhile
 * (nothing is written; read the state and decide again), and {@link CaStoreException} when the store fails.
 */
public final class RootRotation {
    private RootRotation() {
    }

    /** Stores {@code authority} as the first signer; refused when a CA state exists. */
    public static CaState init(CaStore store, CertificateAuthority authority) {
        if (store.load().isPresent()) {
            throw new IllegalStateException("a CA state already exists; rotate with introduce/activate/retire");
        }
        return store.initialize(CaState.of(authority));
    }

    /** Step 1: {@code next} is trusted everywhere; the current authority still signs. */
    public static CaState introduce(CaStore store, CertificateAuthority next) {
        return step(store, state -> state.introduce(next));
    }

    /** Step 2: the introduced authority signs; the old root stays trusted. */
    public static CaState activate(CaStore store) {
        return step(store, CaState::activate);
    }

    /** Step 3: roots that are neither the signer's nor the next authority's leave the trust bundle. */
    public static CaState retire(CaStore store) {
        return step(store, CaState::retire);
    }

    private static CaState step(CaStore store, UnaryOperator<CaState> change) {
        CaStore.Versioned current = store.read()
                .orElseThrow(() -> new IllegalStateException("no CA state stored; run init first"));
        CaState next = change.apply(current.state());
        store.save(next, current.version());
        return next;
    }

    /** A new self-signed root: {@code algorithm} as {@link KeyAlgorithm#parse} reads it. */
    public static CertificateAuthority generate(String algorithm, String commonName, Duration lifetime, Clock clock) {
        return RootCa.generate(KeyAlgorithm.parse(algorithm), commonName, lifetime, clock, new SecureRandom());
    }

    /** An existing authority: its PEM key and its chain (signing certificate first, root last). */
    public static CertificateAuthority imported(Path keyFile, Path chainFile, Clock clock) {
        if (keyFile == null || chainFile == null) {
            throw new IllegalArgumentException("--import-key and --import-chain go together");
        }
        try {
            return CertificateAuthority.fromPem(Files.readString(keyFile), Files.readString(chainFile), clock);
        } catch (IOException e) {
            throw new IllegalArgumentException("--import-key and --import-chain must both name readable files ("
                    + e.getMessage() + ")");
        }
    }
}
