package io.meshfed.pki.agent;

import io.meshfed.store.ConcurrentChangeException;
import java.util.Optional;

/**
 * Where the agent keeps Istio's plug-in CA material. A write replaces all four files at once: a reader (istiod,
 * or the agent after a restart) sees the previous complete set or the new complete set, never a mix.
 *
 * <p>Writes compare-and-set on the version the writer read: of two writers (a second agent replica, an operator
 * replacing {@code cacerts} by hand) that read the same material, one lands and the other gets
 * {@link ConcurrentChangeException}, re-reads and decides again, so nobody overwrites material they never saw.
 */
public interface CaCertsStore {

    /**
     * What is stored and its version. {@code caCerts} is empty when the material lacks one of the four files;
     * the version is still that of what is there, so a write can replace it.
     */
    record Versioned(Optional<CaCerts> caCerts, String version) {
    }

    /** The stored material and its version; empty when nothing is stored at all. */
    Optional<Versioned> readVersioned();

    /** The current material, empty when none exists or it lacks one of the four files. */
    default Optional<CaCerts> read() {
        return readVersioned().flatMap(Versioned::caCerts);
    }

    /**
     * Replaces the material stored at {@code expectedVersion} ({@code null}: only if nothing is stored).
     *
     * @throws ConcurrentChangeException when the stored material is no longer at {@code expectedVersion}
     */
    void write(CaCerts caCerts, String expectedVersion);
}
