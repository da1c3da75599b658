package io.meshfed.pki.ca;

import io.meshfed.store.ConcurrentChangeException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CA state lives: a Kubernetes Secret in the management cluster, or a 0600 file in local mode.
 * A save replaces the whole state in one write; a reader sees the old state or the new one, never a mix.
 *
 * <p>Writes compare-and-set on the version they read: a rotation step reads the state, derives the next one and
 * saves it only if nobody saved in between. Of two rotations at once, one lands and the other gets
 * {@link ConcurrentChangeException} and must re-read (and, usually, find its step already done or no longer
 * valid). Implementations are thread-safe.
 */
public interface CaStore {

    /** A stored state and the version it was read at; versions are opaque. */
    record Versioned(CaState state, String version) {
    }

    Optional<Versioned> read();

    default Optional<CaState> load() {
        return read().map(Versioned::state);
    }

    /**
     * Replaces the state stored at {@code expectedVersion} with {@code state}.
     *
     * @throws ConcurrentChangeException when the stored state is no longer at {@code expectedVersion} (or is gone)
     */
    void save(CaState state, String expectedVersion);

    /**
     * Stores {@code state} only if no state exists yet and returns whichever state is stored afterwards: of two
     * processes initializing at once, both end up signing with the same root.
     */
    CaState initialize(CaState state);

    /** The stored form: one PEM text per key. Keys are stable; they are the Secret's data keys. */
    final class Entries {
        public static final String SIGNER_KEY = "signer-key.pem";
        public static final String SIGNER_CHAIN = "signer-chain.pem";
        public static final String NEXT_KEY = "next-key.pem";
        public static final String NEXT_CHAIN = "next-chain.pem";
        public static final String TRUST_BUNDLE = "trust-bundle.pem";

        private Entries() {
        }

        public static Map<String, String> encode(CaState state) {
            Map<String, String> entries = new LinkedHashMap<>();
            entries.put(SIGNER_KEY, Pems.encodePrivateKey(state.signer().privateKey()));
            entries.put(SIGNER_CHAIN, Pems.encodeCertificates(state.signer().chain()));
            state.next().ifPresent(next -> {
                entries.put(NEXT_KEY, Pems.encodePrivateKey(next.privateKey()));
                entries.put(NEXT_CHAIN, Pems.encodeCertificates(next.chain()));
            });
            entries.put(TRUST_BUNDLE, state.trustBundlePem());
            return entries;
        }

        public static CaState decode(Map<String, String> entries, Clock clock) {
            for (String required : new String[] {SIGNER_KEY, SIGNER_CHAIN, TRUST_BUNDLE}) {
                if (entries.get(required) == null) {
                    throw new InvalidCaMaterialException("stored CA state lacks " + required);
                }
            }
            CertificateAuthority signer = CertificateAuthority.fromPem(entries.get(SIGNER_KEY),
                    entries.get(SIGNER_CHAIN), clock);
            Optional<CertificateAuthority> next = Optional.empty();
            if (entries.get(NEXT_KEY) != null || entries.get(NEXT_CHAIN) != null) {
                next = Optional.of(CertificateAuthority.fromPem(entries.get(NEXT_KEY), entries.get(NEXT_CHAIN),
                        clock));
            }
            return new CaState(signer, next, Pems.certificates(entries.get(TRUST_BUNDLE), "trust bundle"));
        }
    }
}
