package io.meshfed.pki.agent;

import io.meshfed.store.ConcurrentChangeException;
import java.util.Optional;

/**
 * Where the agent keeps the xDS relay's client material. A write replaces the three files at once, and
 * compare-and-sets on the version the writer read, as {@link CaCertsStore} does.
 */
public interface XdsClientStore {

    /** What is stored and its version; {@code material} is empty when a file is missing. */
    record Versioned(Optional<XdsClientCertificate> material, String version) {
    }

    /** The stored material and its version; empty when nothing is stored at all. */
    Optional<Versioned> readVersioned();

    /**
     * Replaces the material stored at {@code expectedVersion} ({@code null}: only if nothing is stored).
     *
     * @throws ConcurrentChangeException when the stored material is no longer at {@code expectedVersion}
     */
    void write(XdsClientCertificate material, String expectedVersion);
}
